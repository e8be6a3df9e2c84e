"""Seed data: galleries, managed images, disk encryption sets and scale sets to start with.

Read from ``--seed FILE`` or ``POST /_emulator/seed``:

```json
{"galleries": [{"id": "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Compute/galleries/g",
                "location": "eastus"}],
 "images": [{"id": "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Compute/images/img",
             "location": "eastus", "os_type": "Linux", "os_disk_gb": 30, "data_disks_gb": [100],
             "hyper_v_generation": "V2", "provisioning_state": "Succeeded", "tags": {}}],
 "disk_encryption_sets": [{"id": ".../providers/Microsoft.Compute/diskEncryptionSets/des",
                           "location": "eastus"}],
 "scale_sets": [{"id": ".../providers/Microsoft.Compute/virtualMachineScaleSets/vmss",
                 "location": "eastus", "image_id": ".../providers/Microsoft.Compute/images/img"}]}
```
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from emulator import ids


class _Seed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedGallery(_Seed):
    id: str
    location: str = "eastus"
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)


class SeedImage(_Seed):
    id: str
    location: str = "eastus"
    os_type: Literal["Linux", "Windows"] = "Linux"
    os_state: Literal["Generalized", "Specialized"] = "Generalized"
    os_disk_gb: int = Field(default=30, gt=0)
    data_disks_gb: list[int] = Field(default_factory=list)
    hyper_v_generation: Literal["V1", "V2"] | None = "V2"
    provisioning_state: Literal["Creating", "Succeeded", "Failed"] = "Succeeded"
    tags: dict[str, str] = Field(default_factory=dict)


class SeedDiskEncryptionSet(_Seed):
    id: str
    location: str = "eastus"
    encryption_type: Literal[
        "EncryptionAtRestWithCustomerKey",
        "EncryptionAtRestWithPlatformAndCustomerKeys",
        "ConfidentialVmEncryptedWithCustomerKey",
    ] = "EncryptionAtRestWithCustomerKey"
    #: The active key's URL; one in a made-up vault named after the set when not given.
    key_url: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class SeedScaleSet(_Seed):
    id: str
    location: str = "eastus"
    #: ``imageReference.id``: a managed image or a gallery image; a marketplace image when absent.
    image_id: str | None = None
    capacity: int = Field(default=2, ge=0)
    sku_name: str = "Standard_D2s_v5"
    tags: dict[str, str] = Field(default_factory=dict)


class SeedData(_Seed):
    galleries: list[SeedGallery] = Field(default_factory=list)
    images: list[SeedImage] = Field(default_factory=list)
    disk_encryption_sets: list[SeedDiskEncryptionSet] = Field(default_factory=list)
    scale_sets: list[SeedScaleSet] = Field(default_factory=list)

    @classmethod
    def from_file(cls, path: str | Path) -> SeedData:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


def image_body(image: SeedImage) -> dict[str, Any]:
    """The ARM body of a managed image captured from a VM, as Azure reports one."""
    parsed = ids.parse_image_id(image.id)
    if parsed is None:
        raise ValueError(f"not a managed image id: {image.id}")
    sub, rg, name = parsed
    disks = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/disks"
    properties: dict[str, Any] = {
        "sourceVirtualMachine": {
            "id": f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/"
            f"virtualMachines/{name}-vm"
        },
        "storageProfile": {
            "osDisk": {
                "osType": image.os_type,
                "osState": image.os_state,
                "diskSizeGB": image.os_disk_gb,
                "managedDisk": {"id": f"{disks}/{name}-osdisk"},
                "caching": "ReadWrite",
                "storageAccountType": "Premium_LRS",
            },
            "dataDisks": [
                {
                    "lun": lun,
                    "diskSizeGB": size,
                    "managedDisk": {"id": f"{disks}/{name}-datadisk-{lun}"},
                    "caching": "None",
                    "storageAccountType": "Premium_LRS",
                }
                for lun, size in enumerate(image.data_disks_gb)
            ],
            "zoneResilient": False,
        },
        "provisioningState": image.provisioning_state,
    }
    if image.hyper_v_generation is not None:
        properties["hyperVGeneration"] = image.hyper_v_generation
    return {"location": image.location, "tags": dict(image.tags), "properties": properties}
