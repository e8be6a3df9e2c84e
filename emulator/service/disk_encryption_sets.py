"""Disk encryption sets: get, list by subscription and resource group, and seeding.

A version's target region may encrypt its disk images with one (``rules/encryption.py``), so the
emulator keeps them; they are seeded only (no PUT), as the app never creates one. The disk
resource provider answers at its own api-versions (the SDK sends 2026-03-02).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from emulator import ids
from emulator.resources import DiskEncryptionSet
from emulator.routing import DISK_API_VERSIONS, DISK_ENCRYPTION_SET, RG, SUB, Route
from emulator.seeding import SeedDiskEncryptionSet
from emulator.service.core import ArmResult, Call, Handler, Kind, require, seed_target, within

DES_TYPE = "Microsoft.Compute/diskEncryptionSets"


class DiskEncryptionSets(Kind):
    routes = (
        Route(
            SUB + "/providers/Microsoft.Compute/diskEncryptionSets",
            "diskEncryptionSets",
            DISK_API_VERSIONS,
            {"GET": "disk_encryption_sets.list"},
        ),
        Route(
            RG + "/providers/Microsoft.Compute/diskEncryptionSets",
            "diskEncryptionSets",
            DISK_API_VERSIONS,
            {"GET": "disk_encryption_sets.list_by_resource_group"},
        ),
        Route(
            DISK_ENCRYPTION_SET,
            "diskEncryptionSets",
            DISK_API_VERSIONS,
            {"GET": "disk_encryption_sets.get"},
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {
            "disk_encryption_sets.list": self.list_all,
            "disk_encryption_sets.list_by_resource_group": self.list_all,
            "disk_encryption_sets.get": self.get,
        }

    def list_all(self, call: Call) -> list[dict[str, Any]]:
        found = within(self.core.disk_encryption_sets.values(), call.sub, call.scope_rg)
        return [item.render() for item in found]

    def get(self, call: Call) -> ArmResult:
        name = call.params["diskEncryptionSetName"]
        found = require(self.core.disk_encryption_sets, call, "diskEncryptionSets", name)
        return ArmResult(200, found.render())

    def seed(self, seed: SeedDiskEncryptionSet, now: datetime) -> dict[str, Any]:
        """A Succeeded disk encryption set with a system-assigned identity and an active key."""
        parsed, region = seed_target(seed.id, DES_TYPE, seed.location)
        vault = f"{parsed.name}-kv"
        group = ids.resource_group_id(parsed.subscription, parsed.resource_group or "")
        canonical_id = f"{group}/providers/{DES_TYPE}/{parsed.name}"
        found = DiskEncryptionSet(
            resource_id=canonical_id,
            name=parsed.name,
            location=region.name,
            tags=dict(seed.tags),
            created_at=now,
            state="Succeeded",
            subscription=parsed.subscription,
            resource_group=parsed.resource_group or "",
            properties={
                "encryptionType": seed.encryption_type,
                "activeKey": {
                    "sourceVault": {"id": f"{group}/providers/Microsoft.KeyVault/vaults/{vault}"},
                    "keyUrl": seed.key_url
                    or f"https://{vault}.vault.azure.net/keys/{parsed.name}-key/"
                    f"{uuid.uuid5(uuid.NAMESPACE_URL, canonical_id).hex}",
                },
                "rotationToLatestKeyVersionEnabled": False,
            },
            identity={
                "type": "SystemAssigned",
                "principalId": str(uuid.uuid5(uuid.NAMESPACE_URL, canonical_id + "/identity")),
                "tenantId": self.core.config.tenant_id,
            },
        )
        self.core.disk_encryption_sets[found.key] = found
        self.core.event(now, "created", found.resource_id, detail={"seeded": True})
        return found.render()
