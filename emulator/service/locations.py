"""ARM's list of a subscription's locations (``Microsoft.Resources``), from the region table.

``GET /subscriptions/{id}/locations`` is what azure-mgmt-resource-subscriptions'
``SubscriptionClient(...).subscriptions.list_locations(sub)`` calls (api-version 2022-12-01).
Each region answers in ARM's shape (the REST spec's ``GetLocations.json`` example, and
``az account list-locations`` output): ``name``, ``displayName``, ``regionalDisplayName``
(``(US) East US``), ``metadata`` with ``regionType: Physical``, ``regionCategory``,
``geography``, ``geographyGroup``, ``physicalLocation`` and ``pairedRegion``, and, where the
region has availability zones, ``availabilityZoneMappings``. The list also holds ARM's logical
locations (``europe``, ``unitedstates``, ``global``...), whose metadata is only
``regionType: Logical`` and ``regionCategory: Other``: they exist in the list but no resource
can be placed in one.

Left out: coordinates (``latitude``, ``longitude``), extended locations (edge zones). Azure's
``regionCategory`` is ``Recommended`` for its flagship regions; the emulator takes the regions
with availability zones as those (true of every example seen: East US, UK South Recommended;
West US, UK West Other). Azure answers in one page; so does the emulator unless its page size
is smaller than the list.
"""

from __future__ import annotations

import hashlib
from typing import Any

from emulator.regions import ARM_GEOGRAPHIES, LOGICAL_LOCATIONS, PAIRED_REGIONS, REGIONS, Region
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
        physical = [location(call.sub, region) for region in REGIONS.values()]
        logical = [logical_location(call.sub, n, d) for n, d in LOGICAL_LOCATIONS.items()]
        return physical + logical


def _id(subscription: str, name: str) -> str:
    return f"/subscriptions/{subscription}/locations/{name}"


def location(subscription: str, region: Region) -> dict[str, Any]:
    """One region as ARM's locations list gives it."""
    geography, group = ARM_GEOGRAPHIES.get(region.geography, (region.geography, region.geography))
    metadata: dict[str, Any] = {
        "regionType": "Physical",
        "regionCategory": "Recommended" if region.zrs else "Other",
        "geography": geography,
        "geographyGroup": group,
        "physicalLocation": region.place,
    }
    paired = PAIRED_REGIONS.get(region.name)
    if paired is not None:
        metadata["pairedRegion"] = [{"name": paired, "id": _id(subscription, paired)}]
    found: dict[str, Any] = {
        "id": _id(subscription, region.name),
        "name": region.name,
        "type": "Region",
        "displayName": region.display_name,
        "regionalDisplayName": f"({group}) {region.display_name}",
        "metadata": metadata,
    }
    if region.zrs:
        found["availabilityZoneMappings"] = zone_mappings(subscription, region.name)
    return found


def zone_mappings(subscription: str, region: str) -> list[dict[str, str]]:
    """Logical zones 1-3 and the physical zones they are for this subscription.

    Azure maps each subscription's logical zones to physical ones independently (zone 1 of one
    subscription may be zone 2 of another); the emulator draws a fixed permutation from the
    subscription and region, so the same pair always answers the same."""
    digest = hashlib.sha256(f"{subscription.lower()}/{region}".encode()).digest()
    zones = sorted((1, 2, 3), key=lambda zone: digest[zone])
    return [
        {"logicalZone": str(logical), "physicalZone": f"{region}-az{physical}"}
        for logical, physical in enumerate(zones, start=1)
    ]


def logical_location(subscription: str, name: str, display_name: str) -> dict[str, Any]:
    """A logical location (a geography, or ``global``), as ARM lists it."""
    return {
        "id": _id(subscription, name),
        "name": name,
        "type": "Region",
        "displayName": display_name,
        "regionalDisplayName": display_name,
        "metadata": {"regionType": "Logical", "regionCategory": "Other"},
    }
