"""Each request's RBAC action and scope, so that a test can derive what an app needs."""

from __future__ import annotations

from azure.mgmt.compute import ComputeManagementClient

from emulator.testing import SUBSCRIPTION, RunningEmulator
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    GALLERY_ID,
    IMAGE_ID,
    RG,
    create_definition,
    get_version,
    seed_world,
    start_version,
    version,
)

SUB = f"/subscriptions/{SUBSCRIPTION}"
DEFINITION_ID = f"{GALLERY_ID}/images/{DEFINITION}"


def test_a_migration_s_actions_and_scopes(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    arm.images.get(RG, "myImage")
    list(arm.images.list_by_resource_group(RG))
    list(arm.galleries.list())
    arm.galleries.get(RG, GALLERY)
    create_definition(arm)  # PUT, then its caps operation and a final GET
    start_version(arm, body=version(block_deletion=False))
    get_version(arm)
    list(arm.gallery_image_versions.list_by_gallery_image(RG, GALLERY, DEFINITION))
    emulator.advance(24 * 3600)
    arm.images.begin_delete(RG, "myImage").result()
    arm.gallery_image_versions.begin_delete(RG, GALLERY, DEFINITION, "1.0.0").result()
    performed = {(r.action, r.scope) for r in emulator.emulator.request_log}
    operations = f"{SUB}/providers/Microsoft.Compute/locations/eastus"
    caps = {(a, s) for a, s in performed if a == "Microsoft.Compute/locations/capsOperations/read"}
    compute_ops = {
        (a, s) for a, s in performed if a == "Microsoft.Compute/locations/operations/read"
    }
    assert all(str(s).startswith(f"{operations}/capsOperations/") for _, s in caps)
    assert all(str(s).startswith(f"{operations}/operations/") for _, s in compute_ops)
    assert caps
    assert compute_ops
    assert performed - caps - compute_ops == {
        ("Microsoft.Compute/images/read", IMAGE_ID),
        ("Microsoft.Compute/images/read", f"{SUB}/resourceGroups/{RG}"),
        ("Microsoft.Compute/galleries/read", SUB),
        ("Microsoft.Compute/galleries/read", GALLERY_ID),
        ("Microsoft.Compute/galleries/images/write", DEFINITION_ID),
        ("Microsoft.Compute/galleries/images/read", DEFINITION_ID),
        ("Microsoft.Compute/galleries/images/versions/write", f"{DEFINITION_ID}/versions/1.0.0"),
        ("Microsoft.Compute/galleries/images/versions/read", f"{DEFINITION_ID}/versions/1.0.0"),
        ("Microsoft.Compute/galleries/images/versions/read", DEFINITION_ID),
        ("Microsoft.Compute/images/delete", IMAGE_ID),
        ("Microsoft.Compute/galleries/images/versions/delete", f"{DEFINITION_ID}/versions/1.0.0"),
    }


def test_refused_requests_still_name_their_action_and_unknown_paths_none(
    emulator: RunningEmulator,
) -> None:
    emulator.request("GET", f"{IMAGE_ID}?api-version=2026-04-01")  # 404
    emulator.request("GET", f"{IMAGE_ID}?api-version=2026-04-01", token=None)  # 401
    emulator.request("GET", f"{SUB}/providers/Microsoft.Nope/things?api-version=1")
    log = emulator.emulator.request_log
    assert [(r.status, r.action, r.scope) for r in log] == [
        (404, "Microsoft.Compute/images/read", IMAGE_ID),
        (401, None, None),
        (404, None, None),
    ]
    listed = emulator.request("GET", "/_emulator/requests", token=None).body
    assert listed[0]["action"] == "Microsoft.Compute/images/read"
    assert listed[0]["scope"] == IMAGE_ID
    assert listed[1]["action"] is None


def test_scope_keeps_the_client_s_casing(emulator: RunningEmulator) -> None:
    shouted = IMAGE_ID.replace("resourceGroups", "RESOURCEGROUPS")
    emulator.request("PATCH", f"{shouted}?api-version=2026-04-01", {"tags": {}})
    record = emulator.emulator.request_log[-1]
    assert (record.action, record.scope) == ("Microsoft.Compute/images/write", shouted)
