"""A small estate for the activity tests: a gallery, two images, and plans made the app's way
(the real inspection and planning, so that activity inputs are what an orchestration sends)."""

from __future__ import annotations

from typing import Any

from emulator.testing import SUBSCRIPTION, RunningEmulator
from migration.arm import galleries
from migration.arm.errors import ArmError
from migration.arm.inspection import inspect_and_plan
from migration.config.settings import Settings
from migration.domain.plan import Plan
from migration.domain.validation import parse_request

RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups"
GALLERY = f"{RG}/gallery-rg/providers/Microsoft.Compute/galleries/gal"
WEB = f"{RG}/images-rg/providers/Microsoft.Compute/images/web"
APP = f"{RG}/images-rg/providers/Microsoft.Compute/images/app"
MIGRATION = "mig-00000000000000000000000000000a11"


def seed_estate(arm: RunningEmulator) -> None:
    arm.emulator.seed_gallery(GALLERY, location="eastus")
    arm.emulator.seed_image(WEB, location="eastus", os_type="Linux", hyper_v_generation="V2")
    arm.emulator.seed_image(
        APP, location="eastus", os_type="Windows", hyper_v_generation="V1", os_disk_gb=127
    )


def request_body(*sources: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "gallery": GALLERY,
        "images": [{"source": s} for s in sources or (WEB,)],
        "targetRegions": [{"name": "eastus"}, {"name": "westus2", "replicaCount": 2}],
        "deleteSource": "afterReplication",
    }
    body.update(fields)
    return body


def plan_for(arm: RunningEmulator, *sources: str, **fields: Any) -> Plan:
    """The plan the app would make now for a request of ``sources``."""
    settings = Settings()
    now = arm.clock.now()
    request = parse_request(request_body(*sources, **fields), settings.request_limits(now))
    _, plan = inspect_and_plan(request, settings.plan_rules(), now)
    return plan


def planned_version(arm: RunningEmulator) -> dict[str, Any]:
    """The estate seeded, the definition made and the version planned: what a batch sends
    ``start_version``."""
    seed_estate(arm)
    plan = plan_for(arm, WEB)
    for definition in plan.definitions_to_create:
        for _ in range(5):  # under cache lag the poller's last read may miss it: look again
            try:
                galleries.ensure_definition(GALLERY, definition, "eastus")
                break
            except ArmError as error:
                if error.retry_after is None:
                    raise
    (image,) = plan.images
    return {"gallery": GALLERY, "image": image.to_json(), "migrationId": MIGRATION}
