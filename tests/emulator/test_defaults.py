"""Defaults that depend on the api-version of the request that creates a resource.

azure-mgmt-compute 39 sends 2026-03-03 for gallery resources, so the SDK sees today's defaults;
raw requests at older api-versions show that those keep the old behaviour.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m

from emulator.testing import START, RunningEmulator
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    GALLERY_ID,
    RG,
    create_definition,
    definition,
    error_code,
    get_version,
    seed_world,
    start_version,
    version,
)

DEFINITION_PATH = f"{GALLERY_ID}/images/{DEFINITION}"
VERSION_PATH = f"{DEFINITION_PATH}/versions/1.0.0"


def security(features: list[m.GalleryImageFeature] | None) -> str | None:
    return next((f.value for f in features or [] if f.name == "SecurityType"), None)


def feature(value: str) -> list[m.GalleryImageFeature]:
    return [m.GalleryImageFeature(name="SecurityType", value=value)]


@pytest.fixture
def arm_world(emulator: RunningEmulator, arm: ComputeManagementClient) -> ComputeManagementClient:
    seed_world(emulator.emulator)
    return arm


# Definitions: Trusted Launch as default (2025-03-03) ---------------------------------------------


@pytest.mark.parametrize(
    ("stated", "generation", "security_type"),
    [
        ({"hyper_v_generation": None}, "V2", "TrustedLaunchSupported"),
        ({"hyper_v_generation": "V2"}, "V2", "TrustedLaunchSupported"),
        ({"hyper_v_generation": "V1"}, "V1", None),
        ({"hyper_v_generation": None, "features": feature("Standard")}, "V2", "Standard"),
        (
            {"hyper_v_generation": None, "features": feature("ConfidentialVMSupported")},
            "V2",
            "ConfidentialVMSupported",
        ),
        ({"hyper_v_generation": "V1", "features": feature("Standard")}, "V1", "Standard"),
    ],
)
def test_definition_defaults_from_2025_03_03(
    arm_world: ComputeManagementClient,
    stated: dict[str, Any],
    generation: str,
    security_type: str | None,
) -> None:
    created = create_definition(arm_world, **stated)
    found = arm_world.gallery_images.get(RG, GALLERY, DEFINITION)
    for answer in (created, found):
        assert answer.hyper_v_generation == generation
        assert security(answer.features) == security_type


def test_definition_before_2025_03_03_is_v1_without_a_security_type(
    emulator: RunningEmulator,
) -> None:
    seed_world(emulator.emulator)
    body = definition(hyper_v_generation=None).as_dict()
    answer = emulator.request("PUT", f"{DEFINITION_PATH}?api-version=2024-03-03", body)
    assert answer.status == 201
    properties = answer.body["properties"]
    assert properties["hyperVGeneration"] == "V1"
    assert "features" not in properties


def test_a_re_put_keeps_the_defaults_it_was_created_with(
    emulator: RunningEmulator, arm_world: ComputeManagementClient
) -> None:
    create_definition(arm_world, hyper_v_generation=None)
    body = definition(hyper_v_generation=None).as_dict()
    again = emulator.request("PUT", f"{DEFINITION_PATH}?api-version=2026-03-03", body)
    assert again.status == 200, again.body
    older = emulator.request("PUT", f"{DEFINITION_PATH}?api-version=2024-03-03", body)
    assert older.status == 200, "a re-PUT at an older api-version does not undo the defaults"
    assert older.body["properties"]["hyperVGeneration"] == "V2"
    updated = [e for e in emulator.emulator.events if e.kind == "updated"]
    assert not updated, "nothing changed"


@pytest.mark.parametrize(
    ("stated", "text"),
    [
        (
            {"hyper_v_generation": "V1", "features": feature("ConfidentialVM")},
            "requires 'galleryImage.properties.hyperVGeneration' to be 'V2'",
        ),
        (
            {
                "hyper_v_generation": "V1",
                "features": feature("TrustedLaunchAndConfidentialVmSupported"),
            },
            "requires 'galleryImage.properties.hyperVGeneration' to be 'V2'",
        ),
        ({"features": feature("Shielded")}, "The value 'Shielded' of feature 'SecurityType'"),
    ],
)
def test_security_types_that_need_v2_or_do_not_exist_are_refused(
    arm_world: ComputeManagementClient, stated: dict[str, Any], text: str
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        create_definition(arm_world, **stated)
    assert error_code(caught.value) == "InvalidParameter"
    assert text in str(caught.value)


@pytest.mark.parametrize(
    "security_type",
    [
        "TrustedLaunchSupported",
        "ConfidentialVMSupported",
        "TrustedLaunchAndConfidentialVmSupported",
    ],
)
def test_supported_security_types_take_a_managed_image(
    emulator: RunningEmulator, arm_world: ComputeManagementClient, security_type: str
) -> None:
    create_definition(arm_world, features=feature(security_type))
    start_version(arm_world)
    emulator.advance(24 * 3600)
    assert get_version(arm_world).provisioning_state == "Succeeded"


@pytest.mark.parametrize(
    ("security_type", "text"),
    [
        ("TrustedLaunch", "is not a Trusted Launch source"),
        ("ConfidentialVM", "is not a Confidential VM source"),
    ],
)
def test_security_types_needing_vm_guest_state_fail_the_operation(
    emulator: RunningEmulator, arm_world: ComputeManagementClient, security_type: str, text: str
) -> None:
    create_definition(arm_world, features=feature(security_type))
    poller = arm_world.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, DEFINITION, "1.0.0", version()
    )
    with pytest.raises(HttpResponseError) as caught:
        poller.result(timeout=10)
    assert error_code(caught.value) == "Conflict"
    assert text in str(caught.value)
    assert get_version(arm_world).provisioning_state == "Failed"


def test_a_confidential_vm_image_over_32_gb_is_only_advice(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    # Azure's docs advise an OS disk under 32 GB for confidential VMs; nothing published says the
    # gallery refuses or warns, so a bigger one replicates like any other.
    seed_world(emulator.emulator, os_disk_gb=128)
    create_definition(arm, features=feature("ConfidentialVMSupported"))
    start_version(arm)
    emulator.advance(24 * 3600)
    assert get_version(arm).provisioning_state == "Succeeded"


# Versions: end of life and deletion block (2026-03-03) -------------------------------------------


def test_version_defaults_from_2026_03_03(arm_world: ComputeManagementClient) -> None:
    create_definition(arm_world)
    start_version(arm_world)
    found = get_version(arm_world)
    assert found.publishing_profile.published_date == START
    assert found.publishing_profile.end_of_life_date == START.replace(month=7)
    assert found.safety_profile.block_deletion_before_end_of_life is True
    listed = next(
        iter(arm_world.gallery_image_versions.list_by_gallery_image(RG, GALLERY, DEFINITION))
    )
    assert listed.safety_profile.block_deletion_before_end_of_life is True


def test_six_months_later_ends_on_the_last_day_of_a_shorter_month(
    emulator: RunningEmulator, arm_world: ComputeManagementClient
) -> None:
    create_definition(arm_world)
    emulator.advance((START.replace(month=8, day=31) - START).total_seconds())
    start_version(arm_world)
    end_of_life = get_version(arm_world).publishing_profile.end_of_life_date
    assert (end_of_life.year, end_of_life.month, end_of_life.day) == (2027, 2, 28)


def test_stated_values_win(arm_world: ComputeManagementClient) -> None:
    create_definition(arm_world)
    end_of_life = START + timedelta(days=30)
    start_version(arm_world, body=version(end_of_life_date=end_of_life, block_deletion=False))
    found = get_version(arm_world)
    assert found.publishing_profile.end_of_life_date == end_of_life
    assert found.safety_profile.block_deletion_before_end_of_life is False


def test_version_before_2026_03_03_has_no_end_of_life_and_deletes(
    emulator: RunningEmulator, arm_world: ComputeManagementClient
) -> None:
    create_definition(arm_world)
    answer = emulator.request("PUT", f"{VERSION_PATH}?api-version=2025-03-03", version().as_dict())
    assert answer.status == 201
    publishing = answer.body["properties"]["publishingProfile"]
    assert "endOfLifeDate" not in publishing
    assert answer.body["properties"]["safetyProfile"]["blockDeletionBeforeEndOfLife"] is False
    arm_world.gallery_image_versions.begin_delete(RG, GALLERY, DEFINITION, "1.0.0").result()


def test_deleting_a_blocked_version_before_its_end_of_life_is_refused(
    emulator: RunningEmulator, arm_world: ComputeManagementClient
) -> None:
    create_definition(arm_world)
    start_version(arm_world)
    emulator.advance(24 * 3600)
    with pytest.raises(ResourceExistsError) as caught:
        arm_world.gallery_image_versions.begin_delete(RG, GALLERY, DEFINITION, "1.0.0")
    assert error_code(caught.value) == "DeleteGalleryImageVersionBlockedBeforeEndOfLife"
    assert caught.value.status_code == 409
    assert "'safetyProfile.blockDeletionBeforeEndOfLife' is true" in str(caught.value)
    assert get_version(arm_world).provisioning_state == "Succeeded"
    # After its end of life the same delete goes through.
    emulator.advance(200 * 24 * 3600)
    arm_world.gallery_image_versions.begin_delete(RG, GALLERY, DEFINITION, "1.0.0").result()


def test_clearing_the_block_by_re_put_allows_the_delete(
    emulator: RunningEmulator, arm_world: ComputeManagementClient
) -> None:
    create_definition(arm_world)
    start_version(arm_world)
    emulator.advance(24 * 3600)
    start_version(arm_world, body=version(block_deletion=False))
    emulator.advance(60)
    found = get_version(arm_world)
    assert found.safety_profile.block_deletion_before_end_of_life is False
    assert found.publishing_profile.end_of_life_date == START.replace(month=7), "kept"
    arm_world.gallery_image_versions.begin_delete(RG, GALLERY, DEFINITION, "1.0.0").result()


def test_an_identical_re_put_without_end_of_life_changes_nothing(
    emulator: RunningEmulator, arm_world: ComputeManagementClient
) -> None:
    create_definition(arm_world)
    start_version(arm_world)
    emulator.advance(24 * 3600)
    start_version(arm_world)
    assert not [e for e in emulator.emulator.events if e.kind == "updated"]


def test_updating_a_version_made_without_an_end_of_life_applies_todays_defaults(
    emulator: RunningEmulator, arm_world: ComputeManagementClient
) -> None:
    """azure-cli registers the 2026-03-03 notice for ``sig image-version update`` as well as
    ``create``: an update PUT that states no end of life gets six months from the version's
    published date, and one that states no block is blocked. So a version made at an older
    api-version (no end of life) and re-PUT today only to change its block is dated by Azure."""
    create_definition(arm_world)
    made = emulator.request("PUT", f"{VERSION_PATH}?api-version=2025-03-03", version().as_dict())
    assert made.status == 201
    emulator.advance(30 * 24 * 3600)
    # What a re-PUT of the version as read sends: no endOfLifeDate, the block changed only.
    start_version(arm_world, body=version(block_deletion=True))
    emulator.advance(60)
    found = get_version(arm_world)
    assert found.publishing_profile.published_date == START
    assert found.publishing_profile.end_of_life_date == START.replace(month=7)
    assert found.safety_profile.block_deletion_before_end_of_life is True
