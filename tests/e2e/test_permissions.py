"""Least privilege, derived: what full runs ask of ARM (the emulator's request log names each
request's RBAC action and scope) against the template's custom roles at the scopes main.bicep
assigns them (tests/infra/test_rbac.py checks those assignments)."""

from __future__ import annotations

from emulator.testing import SUBSCRIPTION
from migration.arm.locations import clear_location_cache
from tests.e2e.test_migration import APP, WEB, request
from tests.infra.test_rbac import custom_roles
from tests.stack import GALLERY, RG, Stack

SOURCES = f"{RG}/images-rg"
KEYS = f"{RG}/keys-rg/providers/Microsoft.Compute/diskEncryptionSets"
# Where main.bicep assigns each role, for a deployment with IMAGE_SOURCE_SCOPES = the images'
# resource group and GALLERY_ID = the gallery: image source on the source groups, gallery
# publisher on the gallery, the subscription reader on each subscription involved.
ASSIGNED = {
    "imageSource": [SOURCES],
    "galleryPublisher": [GALLERY],
    "operationReader": [f"/subscriptions/{SUBSCRIPTION}"],
}


def covers(assigned: str, scope: str) -> bool:
    assigned, scope = assigned.lower(), scope.lower()
    return scope == assigned or scope.startswith(assigned + "/")


def encrypted(region: str) -> dict[str, object]:
    return {"name": region, "encryption": {"osDiskEncryptionSetId": f"{KEYS}/des-{region}"}}


async def test_full_runs_need_exactly_the_roles_actions_at_their_scopes(stack: Stack) -> None:
    clear_location_cache()  # the region check's read must be seen
    for region in ("eastus", "westus2"):
        stack.emulator.seed_disk_encryption_set(f"{KEYS}/des-{region}", location=region)
    # A scale set elsewhere: the in-use check lists every scale set of the subscription.
    stack.emulator.seed_scale_set(
        f"{RG}/apps-rg/providers/Microsoft.Compute/virtualMachineScaleSets/api",
        image_id=f"{SOURCES}/providers/Microsoft.Compute/images/other",
    )
    # Named images, encrypted regions, deleted after replication; planned first.
    named = request(
        WEB,
        deleteSource="afterReplication",
        targetRegions=[encrypted("eastus"), encrypted("westus2")],
    )
    assert (await stack.call("POST", "migrations/plan", named)).body["valid"]
    first = await stack.start(named)
    assert (await stack.finish(first))["images"][0]["phase"] == "deleted"
    # Selected by scope, approved, then deleted.
    scoped = request(deleteSource="afterApproval", images=[], scopes=[SOURCES])
    second = await stack.start(scoped)
    assert (await stack.awaiting_approval(second))["awaitingApproval"]
    approved = await stack.call("POST", f"migrations/{second}/approve", {"by": "ann"})
    assert approved.status == 202, approved.body
    final = await stack.finish(second)
    assert [i["source"].lower() for i in final["images"]] == [APP.lower()]
    assert not stack.image_exists(APP)

    needed = {(r.action, r.scope) for r in stack.emulator.request_log if r.action and r.scope}
    roles = custom_roles()
    missing = {
        (action, scope)
        for action, scope in needed
        if not any(
            action in roles[role] and any(covers(a, scope) for a in scopes)
            for role, scopes in ASSIGNED.items()
        )
    }
    assert missing == set(), "actions the app needs that no role grants at that scope"
    granted = set().union(*roles.values())
    assert granted == {action for action, _ in needed}, "every action granted is used"
