"""Disk encryption sets, and a version's per-region encryption with them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m

from emulator import SeedData
from emulator.testing import SUBSCRIPTION, RunningEmulator
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    RG,
    create_definition,
    error_code,
    get_version,
    seed_world,
    start_version,
    version,
)

DES_PREFIX = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/keys/providers/Microsoft.Compute"


def des_id(name: str, subscription: str = SUBSCRIPTION) -> str:
    return DES_PREFIX.replace(SUBSCRIPTION, subscription) + f"/diskEncryptionSets/{name}"


EAST, WEST = des_id("des-east"), des_id("des-west")


def encrypted(
    os_set: str | None = None, data: Sequence[tuple[int, str]] = ()
) -> m.EncryptionImages:
    return m.EncryptionImages(
        os_disk_image=m.OSDiskImageEncryption(disk_encryption_set_id=os_set) if os_set else None,
        data_disk_images=[
            m.DataDiskImageEncryption(lun=lun, disk_encryption_set_id=set_id)
            for lun, set_id in data
        ]
        or None,
    )


def encrypted_version(
    east: m.EncryptionImages | None, west: m.EncryptionImages | None
) -> m.GalleryImageVersion:
    body = version()
    body.publishing_profile.target_regions = [
        m.TargetRegion(name="eastus", encryption=east),
        m.TargetRegion(name="westus2", encryption=west),
    ]
    return body


@pytest.fixture
def world(emulator: RunningEmulator, arm: ComputeManagementClient) -> ComputeManagementClient:
    seed_world(emulator.emulator, data_disks_gb=[100, 200])  # luns 0 and 1
    emulator.emulator.seed_disk_encryption_set(EAST, "eastus")
    emulator.emulator.seed_disk_encryption_set(WEST, "westus2")
    create_definition(arm)
    return arm


# The resource kind ------------------------------------------------------------------------------


def test_disk_encryption_sets_get_and_list(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    emulator.emulator.seed_disk_encryption_set(EAST, "eastus", tags={"team": "sec"})
    emulator.emulator.seed_disk_encryption_set(
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/other/providers/Microsoft.Compute/"
        "diskEncryptionSets/des2",
        "westeurope",
        encryption_type="EncryptionAtRestWithPlatformAndCustomerKeys",
    )
    found = arm.disk_encryption_sets.get("keys", "des-east")
    assert (found.id, found.location, found.tags) == (EAST, "eastus", {"team": "sec"})
    assert found.encryption_type == "EncryptionAtRestWithCustomerKey"
    assert found.active_key.key_url.startswith("https://des-east-kv.vault.azure.net/keys/")
    assert found.identity is not None
    assert found.identity.type == "SystemAssigned"
    assert found.provisioning_state == "Succeeded"
    assert [d.name for d in arm.disk_encryption_sets.list()] == ["des-east", "des2"]
    assert [d.name for d in arm.disk_encryption_sets.list_by_resource_group("keys")] == ["des-east"]
    with pytest.raises(ResourceNotFoundError):
        arm.disk_encryption_sets.get("keys", "nope")
    requests = [r for r in emulator.emulator.request_log if r.operation.startswith("disk_")]
    assert {r.action for r in requests} == {"Microsoft.Compute/diskEncryptionSets/read"}


def test_disk_encryption_sets_seed_from_a_seed_file(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    emulator.emulator.seed(
        SeedData.model_validate(
            {"disk_encryption_sets": [{"id": EAST, "location": "eastus", "key_url": "https://k"}]}
        )
    )
    assert arm.disk_encryption_sets.get("keys", "des-east").active_key.key_url == "https://k"
    with pytest.raises(ValueError, match=r"not a Microsoft\.Compute/diskEncryptionSets id"):
        emulator.emulator.seed(
            SeedData.model_validate({"disk_encryption_sets": [{"id": "/subscriptions/x"}]})
        )


# Encryption rules -------------------------------------------------------------------------------


def test_an_encrypted_version_replicates_and_shows_its_encryption(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    body = encrypted_version(
        encrypted(EAST, [(0, EAST), (1, EAST)]), encrypted(WEST, [(0, WEST), (1, WEST)])
    )
    start_version(world, body=body)
    emulator.advance(24 * 3600)
    found = get_version(world)
    assert found.provisioning_state == "Succeeded"
    east, west = found.publishing_profile.target_regions
    assert east.encryption.os_disk_image.disk_encryption_set_id == EAST
    assert [(d.lun, d.disk_encryption_set_id) for d in west.encryption.data_disk_images] == [
        (0, WEST),
        (1, WEST),
    ]
    start_version(world, body=body)
    assert not [e for e in emulator.emulator.events if e.kind == "updated"], "same body: no change"


@pytest.mark.parametrize(
    ("east", "west", "text"),
    [
        (
            encrypted(des_id("missing")),
            encrypted(WEST),
            f"The disk encryption set {des_id('missing')} was not found.",
        ),
        (
            encrypted(des_id("x", "00000000-0000-0000-0000-000000000009")),
            encrypted(WEST),
            "must be in the same subscription '00000000-0000-0000-0000-000000000001' as the "
            "gallery resource.",
        ),
        (encrypted(WEST), encrypted(WEST), "cannot be used in target region 'East US'"),
        (
            encrypted(f"{DES_PREFIX}/images/notaset"),
            None,
            "The value of parameter galleryArtifactVersion.properties.publishingProfile."
            "targetRegions.encryption.osDiskImage.diskEncryptionSetId is invalid.",
        ),
        (
            encrypted(EAST),
            None,
            "A disk encryption set is required for disk 'galleryArtifactVersion.properties."
            "publishingProfile.targetRegions.encryption.osDiskImage.diskEncryptionSetId' in "
            f"target region 'West US 2' since disk encryption set '{EAST}' is used for the "
            "corresponding disk in region 'East US'",
        ),
        (
            encrypted(data=[(1, EAST)]),
            encrypted(data=[(0, WEST)]),
            "A disk encryption set is required for disk 'LUN 0' in target region 'East US' since "
            f"disk encryption set '{WEST}' is used for the corresponding disk in region "
            "'West US 2'",
        ),
        (
            encrypted(data=[(7, EAST)]),
            encrypted(data=[(7, WEST)]),
            "An invalid lun [7] was specified in encryption.dataDiskImages. The lun must be one "
            "of the following values ['0,1'].",
        ),
        (
            encrypted(data=[(0, EAST), (0, EAST)]),
            encrypted(data=[(0, WEST)]),
            "Duplicate luns '0' were specified in target region 'East US' "
            "encryption.dataDiskImages.",
        ),
    ],
)
def test_encryption_rules(
    world: ComputeManagementClient,
    east: m.EncryptionImages | None,
    west: m.EncryptionImages | None,
    text: str,
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        start_version(world, body=encrypted_version(east, west))
    assert caught.value.status_code == 400
    assert error_code(caught.value) == "InvalidParameter"
    assert text in str(caught.value)
    with pytest.raises(ResourceNotFoundError):
        get_version(world)


@pytest.mark.parametrize(
    ("before", "after", "code", "text"),
    [
        (
            (None, None),
            (encrypted(data=[(0, EAST)]), encrypted(data=[(0, WEST)])),
            "InvalidParameter",
            "Cannot specify new data disk image encryption lun [0] with a disk encryption set "
            "in region [East US] for update gallery image version request.",
        ),
        (
            (None, None),
            (encrypted(EAST), encrypted(WEST)),
            "InvalidParameter",
            "Cannot specify new OS disk image encryption",
        ),
        (
            (encrypted(EAST), encrypted(WEST)),
            (encrypted(des_id("des-east-2")), encrypted(WEST)),
            "PropertyChangeNotAllowed",
            "targetRegions.encryption' is not allowed",
        ),
    ],
)
def test_encryption_cannot_be_added_to_or_changed_on_an_existing_region(
    emulator: RunningEmulator,
    world: ComputeManagementClient,
    before: tuple[m.EncryptionImages | None, m.EncryptionImages | None],
    after: tuple[m.EncryptionImages | None, m.EncryptionImages | None],
    code: str,
    text: str,
) -> None:
    emulator.emulator.seed_disk_encryption_set(des_id("des-east-2"), "eastus")
    start_version(world, body=encrypted_version(*before))
    emulator.advance(24 * 3600)
    with pytest.raises(HttpResponseError) as caught:
        start_version(world, body=encrypted_version(*after))
    assert error_code(caught.value) == code
    assert text in str(caught.value)


def test_a_region_added_to_an_encrypted_version_must_be_encrypted_too(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    emulator.emulator.seed_disk_encryption_set(des_id("des-weu"), "westeurope")
    start_version(world, body=encrypted_version(encrypted(EAST), encrypted(WEST)))
    emulator.advance(24 * 3600)
    grown = encrypted_version(encrypted(EAST), encrypted(WEST))
    grown.publishing_profile.target_regions.append(m.TargetRegion(name="westeurope"))
    with pytest.raises(HttpResponseError) as caught:
        start_version(world, body=grown)
    assert "in target region 'West Europe'" in str(caught.value)
    grown.publishing_profile.target_regions[-1].encryption = encrypted(des_id("des-weu"))
    start_version(world, body=grown)
    emulator.advance(24 * 3600)
    regions = get_version(world).publishing_profile.target_regions
    assert regions[-1].encryption.os_disk_image.disk_encryption_set_id == des_id("des-weu")


def test_version_put_at_old_api_version_checks_encryption_too(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    body = encrypted_version(encrypted(EAST), None).as_dict()
    path = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute/"
    answer = emulator.request(
        "PUT",
        f"{path}galleries/{GALLERY}/images/{DEFINITION}/versions/1.0.0?api-version=2022-03-03",
        body,
    )
    assert answer.status == 400
    assert "A disk encryption set is required" in answer.body["error"]["message"]
