"""Sample data for the local stack: a gallery, three kinds of managed image, and a request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulator import Emulator

SUBSCRIPTION = "6f1c2d3e-0000-4000-8000-00000000dem0".replace("dem0", "0de0")
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups"
GALLERY = f"{RG}/gallery-rg/providers/Microsoft.Compute/galleries/demoGallery"


def image_id(name: str) -> str:
    return f"{RG}/images-rg/providers/Microsoft.Compute/images/{name}"


IMAGES = {
    "web-ubuntu-2404": {"location": "eastus", "os_type": "Linux", "os_disk_gb": 30},
    # An image captured before Hyper-V generations were recorded: Azure treats it as V1.
    "app-win2022": {
        "location": "eastus",
        "os_type": "Windows",
        "os_disk_gb": 127,
        "hyper_v_generation": None,
    },
    # Lives in another region: its version is made there, and that region is added.
    "data-rhel9": {
        "location": "westus2",
        "os_type": "Linux",
        "os_disk_gb": 64,
        "data_disks_gb": (256,),
    },
}


def seed(emulator: Emulator) -> None:
    emulator.seed_gallery(GALLERY, location="eastus", description="Gallery Migrator demo")
    for name, shape in IMAGES.items():
        emulator.seed_image(image_id(name), tags={"team": "demo"}, **shape)  # type: ignore[arg-type]


def request(now: datetime) -> dict[str, Any]:
    return {
        "gallery": GALLERY,
        "images": [
            {"source": image_id("web-ubuntu-2404")},
            {
                "source": image_id("app-win2022"),
                "definition": {"name": "app-win2022", "publisher": "Contoso", "sku": "2022-gen1"},
            },
            {"source": image_id("data-rhel9")},
        ],
        "targetRegions": [
            {"name": "eastus", "replicaCount": 1},
            # One replica per 20 VMs deployed at once: 45 -> 3 replicas.
            {"name": "westus2", "expectedConcurrentDeployments": 45},
            {"name": "northeurope", "replicaCount": 2, "storageAccountType": "Standard_ZRS"},
        ],
        "storageAccountType": "Standard_LRS",
        "endOfLifeDate": (now + timedelta(days=730)).date().isoformat(),
        "deleteSource": "afterApproval",
        "approvalTimeout": "P1D",
    }
