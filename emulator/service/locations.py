"""ARM's list of a subscription's locations (``Microsoft.Resources``), from the region table.

``GET /subscriptions/{id}/locations`` is what azure-mgmt-resource-subscriptions'
``SubscriptionClient(...).subscriptions.list_locations(sub)`` calls (api-version 2022-12-01).
Each region answers in ARM's shape as far as ``emulator/regions.py`` knows it: ``name``,
``displayName``, ``regionalDisplayName`` (``(US) East US``), and ``metadata`` with ``regionType``
``Physical``, ``geography``, ``geographyGroup`` and ``pairedRegion``. Azure also sends
coordinates, a physical location and availability-zone mappings, which the emulator leaves out.
Azure answers in one page; so does the emulator unless its page size is smaller than the table.
"""

from __future__ import annotations

from typing import Any

from emulator.regions import ARM_GEOGRAPHIES, PAIRED_REGIONS, REGIONS, Region
from emulator.routing import SUB, SUBSCRIPTION_API_VERSIONS, Route
from emulator.service.core import Call, Handler, Kind


class Locations(Kind):
    routes = (
        Route(
            SUB + "/locations",
            "locations",
            SUBSCRIPTION_API_VERSIONS,
            {"GET": "subscriptions.list_locations"},
            action_type="Microsoft.Resources/subscriptions/locations",
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {"subscriptions.list_locations": self.list_all}

    def list_all(self, call: Call) -> list[dict[str, Any]]:
        return [location(call.sub, region) for region in REGIONS.values()]


def location(subscription: str, region: Region) -> dict[str, Any]:
    """One region as ARM's locations list gives it."""
    geography, group = ARM_GEOGRAPHIES.get(region.geography, (region.geography, region.geography))
    metadata: dict[str, Any] = {
        "regionType": "Physical",
        "geography": geography,
        "geographyGroup": group,
    }
    paired = PAIRED_REGIONS.get(region.name)
    if paired is not None:
        metadata["pairedRegion"] = [
            {"name": paired, "id": f"/subscriptions/{subscription}/locations/{paired}"}
        ]
    return {
        "id": f"/subscriptions/{subscription}/locations/{region.name}",
        "name": region.name,
        "type": "Region",
        "displayName": region.display_name,
        "regionalDisplayName": f"({group}) {region.display_name}",
        "metadata": metadata,
    }
