"""Azure's rules, each raising the SDK exception and the error code Azure would."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m

from emulator import EmulatorConfig, Timings
from emulator.testing import RunningEmulator
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    IMAGE_ID,
    RG,
    create_definition,
    definition,
    error_code,
    get_version,
    image_id,
    seed_world,
    start_version,
    version,
)


@pytest.fixture
def world(emulator: RunningEmulator, arm: ComputeManagementClient) -> ComputeManagementClient:
    """A gallery, a 30 GB Linux V2 image in eastus and a matching definition."""
    seed_world(emulator.emulator)
    create_definition(arm)
    return arm


def put_version(
    client: ComputeManagementClient, body: m.GalleryImageVersion, name: str = "1.0.0"
) -> Any:
    return client.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, DEFINITION, name, body, polling=False
    )


def raw(body: dict[str, Any]) -> io.BytesIO:
    """A body the SDK sends as is, for shapes its models would not produce."""
    return io.BytesIO(json.dumps(body).encode())


# Names ------------------------------------------------------------------------------------------


def test_gallery_name_with_a_dash_is_rejected(arm: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        arm.galleries.begin_create_or_update(RG, "my-gallery", m.Gallery(location="eastus"))
    assert caught.value.status_code == 400
    assert error_code(caught.value) == "InvalidParameter"
    assert "Gallery name is invalid" in str(caught.value)


@pytest.mark.parametrize("name", ["-leading", "trailing.", "trailing-", "a" * 81])
def test_invalid_definition_names_are_rejected(world: ComputeManagementClient, name: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        world.gallery_images.begin_create_or_update(
            RG, GALLERY, name, definition(identifier=("p", "o", name[:10].strip(".-") or "s"))
        )
    assert caught.value.status_code == 400
    assert error_code(caught.value) == "InvalidParameter"
    assert "The entity name 'galleryImageName' is invalid" in str(caught.value)


@pytest.mark.parametrize(
    "name", ["1.0", "1.0.0.0", "v1.0.0", "1.0.2147483648", "1.-1.0", "1.0." + "9" * 5000]
)
def test_invalid_version_names_are_rejected(world: ComputeManagementClient, name: str) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(), name)
    assert caught.value.status_code == 400
    assert error_code(caught.value) == "InvalidParameter"
    assert "Major(int).Minor(int).Patch(int)" in str(caught.value)


def test_the_largest_32_bit_version_parts_are_accepted(world: ComputeManagementClient) -> None:
    put_version(world, version(), "2147483647.0.2147483647")
    assert get_version(world, "2147483647.0.2147483647").provisioning_state == "Creating"


@pytest.mark.parametrize(
    ("identifier", "part"),
    [
        (("pub.", "offer", "sku"), "publisher"),
        (("pub", "off er", "sku"), "offer"),
        (("pub", "offer", "s" * 65), "sku"),
        (("p" * 129, "offer", "sku"), "publisher"),
    ],
)
def test_invalid_identifiers_are_rejected(
    emulator: RunningEmulator,
    arm: ComputeManagementClient,
    identifier: tuple[str, str, str],
    part: str,
) -> None:
    seed_world(emulator.emulator)
    with pytest.raises(HttpResponseError) as caught:
        create_definition(arm, identifier=identifier)
    assert error_code(caught.value) == "InvalidParameter"
    assert f"Asset name galleryImage.properties.identifier.{part} is not valid" in str(caught.value)


def test_identifier_is_unique_in_a_gallery(world: ComputeManagementClient) -> None:
    with pytest.raises(ResourceExistsError) as caught:
        create_definition(world, name="second", identifier=("MYPUBLISHER", "myOffer", "mySKU"))
    assert error_code(caught.value) == "OperationNotAllowed"
    assert "identified by (publisher:myPublisher, offer:myOffer, sku:mySKU) already exists" in str(
        caught.value
    )
    create_definition(world, name="third", identifier=("myPublisher", "myOffer", "otherSKU"))


# Version requests -------------------------------------------------------------------------------


def test_duplicate_regions_are_rejected(world: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(regions=[("eastus", 1), ("East US", 2)]))
    assert error_code(caught.value) == "InvalidParameter"
    assert "Duplicate regions are not allowed in target publishing regions." in str(caught.value)


def test_targets_must_include_the_versions_region(world: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(regions=[("westus2", 1)]))
    assert error_code(caught.value) == "InvalidParameter"
    assert (
        "Gallery image version publishing profile regions 'westus2' must contain the location "
        "of image version 'eastus'" in str(caught.value)
    )


def test_version_location_must_be_the_source_region(world: ComputeManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        put_version(world, version(regions=[("westus2", 1)], location="westus2"))
    assert error_code(caught.value) == "NotFound"
    assert f"Source {IMAGE_ID} is not found" in str(caught.value)
    assert "is in the same region as gallery image version being created" in str(caught.value)


def test_missing_source_is_not_found(world: ComputeManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        put_version(world, version(image_id("nothere")))
    assert error_code(caught.value) == "NotFound"


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("not-an-id", "Expect fully qualified resource Id"),
        (f"{IMAGE_ID}/../../disks/d1", "must either be a managed image"),
    ],
)
def test_malformed_sources_are_rejected(
    world: ComputeManagementClient, source: str, text: str
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(source))
    assert error_code(caught.value) == "InvalidParameter"
    assert text in str(caught.value)


def test_source_must_be_succeeded(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    emulator.emulator.seed_image(image_id("baking"), provisioning_state="Creating")
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(image_id("baking")))
    assert caught.value.status_code == 400
    assert error_code(caught.value) == "InvalidParameter"
    assert "provisioning state 'Creating'" in str(caught.value)


def test_unknown_region_is_rejected_as_arm_does(world: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(regions=[("eastus", 1), ("moonbase1", 1)]))
    assert error_code(caught.value) == "LocationNotAvailableForResourceType"
    assert "The provided location 'moonbase1' is not available" in str(caught.value)


@pytest.mark.parametrize("count", [0, 101])
def test_replica_count_out_of_range(world: ComputeManagementClient, count: int) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(regions=[("eastus", count)]))
    assert error_code(caught.value) == "InvalidParameter"
    assert f"The value {count} of parameter" in str(caught.value)
    assert "must be between 1 and 100, inclusive" in str(caught.value)


def test_shallow_replication_allows_one_replica(world: ComputeManagementClient) -> None:
    body = version(regions=[("eastus", 2)])
    body.publishing_profile.replication_mode = "Shallow"
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, body)
    assert "must be between 1 and 1, inclusive" in str(caught.value)


def test_unknown_storage_type_is_rejected(world: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(storage_account_type="Premium_ZRS"))
    assert error_code(caught.value) == "InvalidParameter"
    assert "storageAccountType is invalid" in str(caught.value)


def test_storage_type_defaults_to_zrs_where_the_region_has_it(
    world: ComputeManagementClient,
) -> None:
    put_version(world, version(regions=[("eastus", 1), ("westus", 1)]))
    targets = {
        t.name: t.storage_account_type for t in get_version(world).publishing_profile.target_regions
    }
    assert targets == {"East US": "Standard_ZRS", "West US": "Standard_LRS"}


def test_end_of_life_in_the_past_is_rejected(world: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(end_of_life_date=datetime(2020, 1, 1, tzinfo=UTC)))
    assert error_code(caught.value) == "InvalidParameter"
    assert "EndOfLifeDate must be set to a future date." in str(caught.value)
    with pytest.raises(HttpResponseError):
        create_definition(
            world, name="old", identifier=("p", "o", "old"), end_of_life_date="2021-06-01"
        )


def test_location_is_required(world: ComputeManagementClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        world.gallery_images.begin_create_or_update(RG, GALLERY, "noloc", raw({"properties": {}}))
    assert error_code(caught.value) == "LocationRequired"


def test_wrongly_typed_body_is_invalid_request_content(world: ComputeManagementClient) -> None:
    body = {
        "location": "eastus",
        "properties": {
            "publishingProfile": {
                "targetRegions": [{"name": "eastus", "regionalReplicaCount": "two"}]
            },
            "storageProfile": {"source": {"id": IMAGE_ID}},
        },
    }
    with pytest.raises(HttpResponseError) as caught:
        world.gallery_image_versions.begin_create_or_update(
            RG, GALLERY, DEFINITION, "1.0.0", raw(body), polling=False
        )
    assert error_code(caught.value) == "InvalidRequestContent"
    assert "properties.publishingProfile.targetRegions[0].regionalReplicaCount" in str(caught.value)


# Source and definition must agree: Azure accepts the PUT and fails the operation -----------------


@pytest.mark.parametrize(
    ("image", "definition_kwargs", "text"),
    [
        ({"os_type": "Windows"}, {}, "has a different OS type ['Windows']"),
        (
            {"hyper_v_generation": "V1"},
            {},
            "has a different Hypervisor generation ['V1'] than the parent gallery image "
            "Hypervisor generation ['V2']",
        ),
        ({"hyper_v_generation": None}, {}, "Hypervisor generation ['V1']"),
        (
            {},
            {"os_state": "Specialized"},
            "since the OS State in the parent gallery image ('Specialized') is not 'Generalized'",
        ),
        (
            {"os_state": "Specialized"},
            {"os_state": "Specialized"},
            "('Specialized') is not 'Generalized'",
        ),
        (
            {},
            {"features": [m.GalleryImageFeature(name="SecurityType", value="TrustedLaunch")]},
            "is not a Trusted Launch source",
        ),
    ],
)
def test_incompatible_source_fails_the_operation(
    emulator: RunningEmulator,
    arm: ComputeManagementClient,
    image: dict[str, Any],
    definition_kwargs: dict[str, Any],
    text: str,
) -> None:
    seed_world(emulator.emulator, **image)
    create_definition(arm, **definition_kwargs)
    poller = arm.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, DEFINITION, "1.0.0", version()
    )
    with pytest.raises(HttpResponseError) as caught:
        poller.result(timeout=10)
    assert error_code(caught.value) == "Conflict"
    assert text in str(caught.value)
    failed = get_version(arm)
    assert failed.provisioning_state == "Failed"
    assert failed.replication_status.aggregated_state == "Failed"


def test_trusted_launch_supported_takes_a_managed_image(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(
        arm, features=[m.GalleryImageFeature(name="SecurityType", value="TrustedLaunchSupported")]
    )
    start_version(arm)
    emulator.advance(24 * 3600)
    assert get_version(arm).provisioning_state == "Succeeded"
    with pytest.raises(HttpResponseError) as caught:
        create_definition(
            arm,
            name="gen1",
            hyper_v_generation="V1",
            identifier=("p", "o", "gen1"),
            features=[m.GalleryImageFeature(name="SecurityType", value="TrustedLaunchSupported")],
        )
    assert error_code(caught.value) == "InvalidParameter"


def test_data_disk_over_the_limit_fails_replication(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator, data_disks_gb=[100, 2048])
    create_definition(arm)
    poller = arm.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, DEFINITION, "1.0.0", version()
    )
    with pytest.raises(HttpResponseError) as caught:
        poller.result(timeout=10)
    assert error_code(caught.value) == "GallerySourceResourceExceedsMaxSize"
    status = get_version(arm).replication_status.summary[0]
    assert status.state == "Failed"
    assert status.details == (
        "Replication failed in this region due to 'The GalleryImageVersion source resource size "
        "2048 exceeds the max size 1024 supported.'"
    )


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(max_data_disk_gb=2048)])
def test_data_disk_limit_is_a_setting(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator, data_disks_gb=[2048])
    create_definition(arm)
    start_version(arm)
    emulator.advance(48 * 3600)
    assert get_version(arm).provisioning_state == "Succeeded"


def test_a_source_feeds_one_unfinished_version_at_a_time(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world, "1.0.0")
    with pytest.raises(ResourceExistsError) as caught:
        start_version(world, "1.0.1")
    assert error_code(caught.value) == "Conflict"
    assert "is being used by another replication currently" in str(caught.value)
    emulator.advance(24 * 3600)
    assert get_version(world, "1.0.0").provisioning_state == "Succeeded"
    start_version(world, "1.0.1")
    assert get_version(world, "1.0.1").provisioning_state == "Creating"


def test_a_failed_version_does_not_hold_its_source(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator, hyper_v_generation="V1")
    create_definition(arm)
    start_version(arm, "1.0.0")
    assert get_version(arm, "1.0.0").provisioning_state == "Failed"
    with pytest.raises(HttpResponseError):
        start_version(arm, "1.0.1", version(image_id("missing")))
    create_definition(arm, name="gen1", hyper_v_generation="V1", identifier=("p", "o", "gen1"))
    start_version(arm, "1.0.1", definition_name="gen1")
    assert get_version(arm, "1.0.1", "gen1").provisioning_state == "Creating"


# Immutability and idempotency -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"os_type": "Windows"}, "osType"),
        ({"os_state": "Specialized"}, "osState"),
        ({"hyper_v_generation": "V1"}, "hyperVGeneration"),
        ({"identifier": ("myPublisher", "myOffer", "otherSKU")}, "identifier"),
        (
            {
                "features": [
                    m.GalleryImageFeature(name="IsAcceleratedNetworkSupported", value="true")
                ]
            },
            "features",
        ),
    ],
)
def test_definition_properties_that_cannot_change(
    world: ComputeManagementClient, change: dict[str, Any], prop: str
) -> None:
    with pytest.raises(ResourceExistsError) as caught:
        create_definition(world, **change)
    assert error_code(caught.value) == "PropertyChangeNotAllowed"
    assert f"Changing property 'galleryImage.properties.{prop}' is not allowed." in str(
        caught.value
    )


def test_features_change_with_allow_update_image(world: ComputeManagementClient) -> None:
    updated = create_definition(
        world,
        allow_update_image=True,
        features=[m.GalleryImageFeature(name="IsAcceleratedNetworkSupported", value="true")],
    )
    assert updated.features[0].name == "IsAcceleratedNetworkSupported"


def test_definition_description_can_change(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    updated = create_definition(world, description="now with a description")
    assert updated.description == "now with a description"
    assert ("updated", None) in [(e.kind, e.region) for e in emulator.emulator.events]


def test_identical_definition_put_is_idempotent(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    before = len(emulator.emulator.events)
    again = create_definition(world)
    assert again.provisioning_state == "Succeeded"
    puts = [
        r for r in emulator.emulator.request_log if r.operation == "gallery_images.create_or_update"
    ]
    assert [r.status for r in puts] == [201, 200]
    assert len(emulator.emulator.events) == before


def test_version_source_cannot_change(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    emulator.emulator.seed_image(image_id("other"))
    start_version(world)
    emulator.advance(24 * 3600)
    with pytest.raises(ResourceExistsError) as caught:
        start_version(world, body=version(image_id("other")))
    assert error_code(caught.value) == "PropertyChangeNotAllowed"
    assert "galleryImageVersion.properties.storageProfile.source.id" in str(caught.value)


def test_region_storage_type_cannot_change(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world, body=version(storage_account_type="Standard_LRS"))
    emulator.advance(24 * 3600)
    with pytest.raises(ResourceExistsError) as caught:
        start_version(world, body=version(storage_account_type="Premium_LRS"))
    assert error_code(caught.value) == "PropertyChangeNotAllowed"


def test_identical_version_put_is_idempotent_even_while_replicating(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world)
    emulator.advance(60)
    progress = get_version(world).replication_status.summary[0].progress
    start_version(world)
    again = get_version(world)
    assert again.provisioning_state == "Creating"
    assert again.replication_status.summary[0].progress == progress
    puts = [
        r.status
        for r in emulator.emulator.request_log
        if r.operation.endswith("versions.create_or_update")
    ]
    assert puts == [201, 200]
    version_events = [e.kind for e in emulator.emulator.events if e.resource_id == again.id]
    assert version_events.count("created") == 1
    assert "updated" not in version_events


def test_changing_a_replicating_version_waits_for_it(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world)
    with pytest.raises(ResourceExistsError) as caught:
        start_version(world, body=version(tags={"new": "tag"}))
    assert error_code(caught.value) == "OperationNotAllowed"
    assert (
        "An operation is in progress on gallery image version '1.0.0'. Retry after it completes."
        in str(caught.value)
    )


def test_adding_a_region_replicates_it_while_updating(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world, body=version(regions=[("eastus", 1)]))
    emulator.advance(24 * 3600)
    start_version(world, body=version(regions=[("eastus", 1), ("northeurope", 1)]))
    updating = get_version(world)
    assert updating.provisioning_state == "Updating"
    states = {s.region: s.state for s in updating.replication_status.summary}
    assert states == {"East US": "Completed", "North Europe": "Replicating"}
    emulator.advance(24 * 3600)
    assert get_version(world).provisioning_state == "Succeeded"


def test_a_region_added_after_the_source_is_deleted_copies_the_version(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world, body=version(regions=[("eastus", 1)]))
    emulator.advance(24 * 3600)
    world.images.begin_delete(RG, "myImage").result()
    start_version(world, body=version(regions=[("eastus", 1), ("westus2", 1)]))
    emulator.advance(24 * 3600)
    replicated = get_version(world)
    assert replicated.provisioning_state == "Succeeded"
    assert {s.state for s in replicated.replication_status.summary} == {"Completed"}


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(timings=Timings(version_update_seconds=600))]
)
def test_a_tag_change_does_not_hold_the_source(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world)
    emulator.advance(24 * 3600)
    start_version(world, body=version(tags={"owner": "ops"}))
    assert get_version(world).provisioning_state == "Updating"
    start_version(world, "1.0.1")
    assert get_version(world, "1.0.1").provisioning_state == "Creating"


def test_removing_a_region_needs_the_safety_switch(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world)
    emulator.advance(24 * 3600)
    with pytest.raises(ResourceExistsError) as caught:
        start_version(world, body=version(regions=[("eastus", 1)]))
    assert error_code(caught.value) == "OperationNotAllowed"
    assert (
        "Gallery image version publishing profile regions cannot be removed (West US 2) unless "
        "'safetyProfile.allowDeletionOfReplicatedLocations' is true." in str(caught.value)
    )
    allowed = version(regions=[("eastus", 1)])
    allowed.safety_profile = m.GalleryImageVersionSafetyProfile(
        allow_deletion_of_replicated_locations=True
    )
    start_version(world, body=allowed)
    emulator.advance(60)
    assert [s.region for s in get_version(world).replication_status.summary] == ["East US"]


# Deleting ---------------------------------------------------------------------------------------


def test_definition_with_versions_cannot_be_deleted(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world, body=version(block_deletion=False))
    with pytest.raises(ResourceExistsError) as caught:
        world.gallery_images.begin_delete(RG, GALLERY, DEFINITION)
    assert error_code(caught.value) == "CannotDeleteResource"
    assert "Can not delete resource before nested resources are deleted." in str(caught.value)
    world.gallery_image_versions.begin_delete(RG, GALLERY, DEFINITION, "1.0.0").result()
    world.gallery_images.begin_delete(RG, GALLERY, DEFINITION).result()
    with pytest.raises(ResourceNotFoundError):
        world.gallery_images.get(RG, GALLERY, DEFINITION)


def test_gallery_with_definitions_cannot_be_deleted(world: ComputeManagementClient) -> None:
    with pytest.raises(ResourceExistsError) as caught:
        world.galleries.begin_delete(RG, GALLERY)
    assert error_code(caught.value) == "CannotDeleteResource"


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(timings=Timings(delete_seconds=60))])
def test_a_put_while_its_delete_runs_is_refused(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world, body=version(block_deletion=False))
    emulator.advance(24 * 3600)
    world.gallery_image_versions.begin_delete(RG, GALLERY, DEFINITION, "1.0.0", polling=False)
    world.images.begin_delete(RG, "myImage", polling=False)
    refusals: dict[str, Callable[[], object]] = {
        "Gallery image version '1.0.0'": lambda: start_version(world),
        "Image 'myImage'": lambda: world.images.begin_create_or_update(
            RG, "myImage", world.images.get(RG, "myImage"), polling=False
        ),
    }
    for what, put in refusals.items():
        with pytest.raises(ResourceExistsError) as caught:
            put()
        assert error_code(caught.value) == "OperationNotAllowed"
        assert f"{what} is being deleted." in str(caught.value)
    emulator.advance(60)
    world.gallery_images.begin_delete(RG, GALLERY, DEFINITION, polling=False)
    with pytest.raises(ResourceExistsError) as caught:
        create_definition(world)
    assert f"Gallery image '{DEFINITION}' is being deleted." in str(caught.value)
    emulator.advance(60)
    world.galleries.begin_delete(RG, GALLERY, polling=False)
    with pytest.raises(ResourceExistsError) as caught:
        world.galleries.begin_create_or_update(RG, GALLERY, m.Gallery(location="eastus"))
    assert f"Gallery '{GALLERY}' is being deleted." in str(caught.value)


def test_deleting_a_replicating_source_is_recorded(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world)
    world.images.begin_delete(RG, "myImage").result()
    flagged = [e for e in emulator.emulator.events if e.kind == "source_deleted_while_replicating"]
    assert flagged
    assert flagged[0].detail == {"versions": [get_version(world).id]}


# Locations and managed images -------------------------------------------------------------------


def test_a_resource_cannot_move_to_another_location(world: ComputeManagementClient) -> None:
    with pytest.raises(ResourceExistsError) as caught:
        create_definition(world, location="westeurope")
    assert error_code(caught.value) == "InvalidResourceLocation"
    assert "already exists in location 'eastus'" in str(caught.value)
    with pytest.raises(ResourceExistsError):
        world.galleries.begin_create_or_update(RG, GALLERY, m.Gallery(location="northeurope"))


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        ({"owner": "x" * 257}, "InvalidTagValueLength"),
        ({"n" * 513: "x"}, "InvalidTagNameLength"),
        ({f"t{i}": "x" for i in range(51)}, "InvalidTagCount"),
    ],
)
def test_tags_over_arms_limits_are_refused(
    world: ComputeManagementClient, tags: dict[str, str], code: str
) -> None:
    with pytest.raises(HttpResponseError) as caught:
        put_version(world, version(tags=tags))
    assert caught.value.status_code == 400
    assert error_code(caught.value) == code


def test_gallery_tags_update(emulator: RunningEmulator, world: ComputeManagementClient) -> None:
    updated = world.galleries.begin_create_or_update(
        RG, GALLERY, m.Gallery(location="eastus", tags={"owner": "images"})
    ).result()
    assert updated.tags == {"owner": "images"}
    assert updated.provisioning_state == "Succeeded"


def image_put(client: ComputeManagementClient, name: str, body: dict[str, Any]) -> Any:
    return client.images.begin_create_or_update(RG, name, raw(body)).result()


def test_managed_image_put_rules(world: ComputeManagementClient) -> None:
    disk = {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30}
    with pytest.raises(HttpResponseError) as caught:
        image_put(world, "noos", {"location": "eastus", "properties": {"storageProfile": {}}})
    assert "Required parameter 'properties.storageProfile.osDisk' is missing" in str(caught.value)
    luns = [{"lun": 0, "diskSizeGB": 8}, {"lun": 0, "diskSizeGB": 8}]
    body = {
        "location": "eastus",
        "properties": {"storageProfile": {"osDisk": disk, "dataDisks": luns}},
    }
    with pytest.raises(HttpResponseError) as caught:
        image_put(world, "luns", body)
    assert "Duplicated lun numbers" in str(caught.value)
    with pytest.raises(HttpResponseError) as caught:
        image_put(
            world,
            "bad-",
            {"location": "eastus", "properties": {"storageProfile": {"osDisk": disk}}},
        )
    assert error_code(caught.value) == "InvalidParameter"
    made = image_put(
        world, "fresh", {"location": "eastus", "properties": {"storageProfile": {"osDisk": disk}}}
    )
    assert made.provisioning_state == "Succeeded"
    assert made.hyper_v_generation is None, "an image without the property stays without it"
    bigger = {**disk, "diskSizeGB": 64}
    with pytest.raises(ResourceExistsError) as caught:
        image_put(
            world,
            "fresh",
            {"location": "eastus", "properties": {"storageProfile": {"osDisk": bigger}}},
        )
    assert error_code(caught.value) == "PropertyChangeNotAllowed"


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(timings=Timings(version_update_seconds=60))]
)
def test_metadata_update_of_a_version(
    emulator: RunningEmulator, world: ComputeManagementClient
) -> None:
    start_version(world)
    emulator.advance(24 * 3600)
    start_version(world, body=version(tags={"release": "stable"}))
    updating = get_version(world)
    assert updating.provisioning_state == "Updating"
    assert updating.tags == {"release": "stable"}
    emulator.advance(60)
    assert get_version(world).provisioning_state == "Succeeded"
