"""Virtual machine scale sets: get, list by resource group and subscription, and seeding.

Kept for one question a migration asks: is this managed image still used? A scale set deploys
from ``virtualMachineProfile.storageProfile.imageReference`` (``id``: a managed image or a
gallery image; or a marketplace reference), and needs that image to scale out and reimage.
Scale sets are seeded only (no PUT): the app reads them, never writes them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from emulator import ids
from emulator.resources import ScaleSet, timestamp
from emulator.routing import COMPUTE_API_VERSIONS, RG, SCALE_SET, SUB, Route
from emulator.seeding import SeedScaleSet
from emulator.service.core import ArmResult, Call, Handler, Kind, require, seed_target, within

SCALE_SET_TYPE = "Microsoft.Compute/virtualMachineScaleSets"
#: What a seeded scale set without an image id deploys from.
MARKETPLACE_IMAGE = {
    "publisher": "Canonical",
    "offer": "ubuntu-24_04-lts",
    "sku": "server",
    "version": "latest",
}


class ScaleSets(Kind):
    routes = (
        Route(
            SUB + "/providers/Microsoft.Compute/virtualMachineScaleSets",
            "virtualMachineScaleSets",
            COMPUTE_API_VERSIONS,
            {"GET": "virtual_machine_scale_sets.list_all"},
        ),
        Route(
            RG + "/providers/Microsoft.Compute/virtualMachineScaleSets",
            "virtualMachineScaleSets",
            COMPUTE_API_VERSIONS,
            {"GET": "virtual_machine_scale_sets.list"},
        ),
        Route(
            SCALE_SET,
            "virtualMachineScaleSets",
            COMPUTE_API_VERSIONS,
            {"GET": "virtual_machine_scale_sets.get"},
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {
            "virtual_machine_scale_sets.list_all": self.list_all,
            "virtual_machine_scale_sets.list": self.list_all,
            "virtual_machine_scale_sets.get": self.get,
        }

    def list_all(self, call: Call) -> list[dict[str, Any]]:
        return [
            item.render() for item in within(self.core.scale_sets.values(), call.sub, call.scope_rg)
        ]

    def get(self, call: Call) -> ArmResult:
        name = call.params["vmScaleSetName"]
        found = require(self.core.scale_sets, call, "virtualMachineScaleSets", name)
        return ArmResult(200, found.render())

    def seed(self, seed: SeedScaleSet, now: datetime) -> dict[str, Any]:
        """A Succeeded Uniform scale set deploying from ``seed.image_id`` (a marketplace image
        when ``None``). The image need not exist: a scale set outlives a deleted image."""
        parsed, region = seed_target(seed.id, SCALE_SET_TYPE, seed.location)
        group = ids.resource_group_id(parsed.subscription, parsed.resource_group or "")
        canonical_id = f"{group}/providers/{SCALE_SET_TYPE}/{parsed.name}"
        reference = {"id": seed.image_id} if seed.image_id else dict(MARKETPLACE_IMAGE)
        found = ScaleSet(
            resource_id=canonical_id,
            name=parsed.name,
            location=region.name,
            tags=dict(seed.tags),
            created_at=now,
            state="Succeeded",
            subscription=parsed.subscription,
            resource_group=parsed.resource_group or "",
            sku={"name": seed.sku_name, "tier": "Standard", "capacity": seed.capacity},
            properties={
                "orchestrationMode": "Uniform",
                "upgradePolicy": {"mode": "Manual"},
                "overprovision": True,
                "singlePlacementGroup": True,
                "uniqueId": str(uuid.uuid5(uuid.NAMESPACE_URL, canonical_id)),
                "timeCreated": timestamp(now),
                "virtualMachineProfile": {
                    "storageProfile": {
                        "imageReference": reference,
                        "osDisk": {
                            "createOption": "FromImage",
                            "caching": "ReadWrite",
                            "managedDisk": {"storageAccountType": "Premium_LRS"},
                        },
                    },
                },
            },
        )
        self.core.scale_sets[found.key] = found
        self.core.event(now, "created", found.resource_id, detail={"seeded": True})
        return found.render()
