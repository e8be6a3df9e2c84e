"""Azure's manual guide, end to end, through the client the app uses."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient

from emulator.testing import RunningEmulator
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    IMAGE,
    RG,
    create_definition,
    get_version,
    seed_world,
    start_version,
    version,
)


def test_manual_guide_end_to_end(emulator: RunningEmulator, arm: ComputeManagementClient) -> None:
    seed_world(emulator.emulator, data_disks_gb=[64])

    # 1. Find the gallery.
    gallery = arm.galleries.get(RG, GALLERY)
    assert gallery.provisioning_state == "Succeeded"

    # 2. Create an image definition.
    created = create_definition(arm)
    assert (created.os_type, created.os_state, created.hyper_v_generation) == (
        "Linux",
        "Generalized",
        "V2",
    )
    assert created.provisioning_state == "Succeeded"

    # 3. Get the managed image.
    image = arm.images.get(RG, IMAGE)
    assert image.storage_profile.os_disk.os_type == "Linux"
    assert image.provisioning_state == "Succeeded"

    # 4. Create a version in the image's region, to two regions with replica counts.
    assert image.id is not None
    start_version(arm, body=version(image.id, [("eastus", 1), ("westus2", 2)]))

    # 5. Watch ReplicationStatus until every region has completed.
    seen: list[dict[str, int]] = []
    while True:
        current = get_version(arm)
        summary = current.replication_status.summary
        seen.append({status.region: status.progress for status in summary})
        if current.replication_status.aggregated_state == "Completed":
            break
        assert current.provisioning_state == "Creating"
        emulator.advance(300)
    assert current.provisioning_state == "Succeeded"
    assert {status.region for status in summary} == {"East US", "West US 2"}
    assert all(status.state == "Completed" and status.progress == 100 for status in summary)
    assert len(seen) > 3, "replication should take a while"
    for region in ("East US", "West US 2"):
        progress = [snapshot[region] for snapshot in seen]
        assert progress == sorted(progress), "progress never goes back"
        assert progress[0] == 0
    targets = {t.name: t.regional_replica_count for t in current.publishing_profile.target_regions}
    assert targets == {"East US": 1, "West US 2": 2}
    assert current.storage_profile.data_disk_images[0].size_in_gb == 64

    # 6. Delete the managed image.
    arm.images.begin_delete(RG, IMAGE).result()
    with pytest.raises(ResourceNotFoundError):
        arm.images.get(RG, IMAGE)

    kinds = [(event.kind, event.region) for event in emulator.emulator.events]
    assert ("replicated", "eastus") in kinds
    assert ("replicated", "westus2") in kinds
    assert kinds.index(("succeeded", None)) > kinds.index(("replicated", "westus2"))
    assert kinds[-1] == ("deleted", None)


def test_version_without_expand_has_no_replication_status(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm)
    plain = arm.gallery_image_versions.get(RG, GALLERY, DEFINITION, "1.0.0")
    assert plain.replication_status is None
    assert plain.provisioning_state == "Creating"
    assert get_version(arm).replication_status.aggregated_state == "InProgress"
