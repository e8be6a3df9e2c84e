"""The ARM operations of a migration, against the emulator through azure-mgmt-compute."""

from __future__ import annotations

import pytest

from emulator import EmulatorConfig, FaultConfig
from emulator.audit import unsafe_deletions
from emulator.testing import SUBSCRIPTION, RunningEmulator
from migration.arm import galleries, images, retry, shapes, versions
from migration.arm.errors import ArmError, Throttled
from migration.arm.inspection import inspect_and_plan
from migration.config.settings import Settings
from migration.domain.definitions import DefinitionPlan
from migration.domain.facts import Identifier, RegionTarget
from migration.domain.plan import ImagePlan
from migration.domain.safety import replication_complete
from tests.migration.factories import NOW, parse

RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups"
GALLERY = f"{RG}/gallery-rg/providers/Microsoft.Compute/galleries/gal"
WEB = f"{RG}/images-rg/providers/Microsoft.Compute/images/web"
OTHER = f"{RG}/images-rg/providers/Microsoft.Compute/images/other"


def seed(arm_endpoint: RunningEmulator) -> None:
    arm_endpoint.emulator.seed_gallery(GALLERY, location="eastus")
    arm_endpoint.emulator.seed_image(
        WEB, location="eastus", os_type="Linux", hyper_v_generation="V2"
    )
    arm_endpoint.emulator.seed_image(
        OTHER, location="eastus", os_type="Linux", hyper_v_generation="V2"
    )


def definition(name: str = "web", **overrides: object) -> DefinitionPlan:
    values: dict[str, object] = {
        "name": name,
        "create": True,
        "os_type": "Linux",
        "hyper_v_generation": "V2",
        "identifier": Identifier(publisher="images-rg", offer=name, sku="linux-v2"),
    }
    values.update(overrides)
    return DefinitionPlan.model_validate(values)


def image_plan(source: str = WEB, version: str = "1.0.0") -> ImagePlan:
    """The plan inspection would make: it carries the image's fingerprint as read now."""
    return ImagePlan(
        source=source,
        location="eastus",
        fingerprint=images.get_image(source).fingerprint,
        definition=definition(),
        version=version,
        target_regions=[
            RegionTarget(name="eastus", replicas=1),
            RegionTarget(name="westus2", replicas=2),
        ],
    )


def test_reads_images_and_galleries(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    facts = images.get_image(WEB.upper().replace("SUBSCRIPTIONS", "subscriptions"))
    assert (facts.exists, facts.name, facts.os_type, facts.hyper_v_generation) == (
        True,
        "web",
        "Linux",
        "V2",
    )
    assert facts.fingerprint
    assert not images.get_image(WEB + "-missing").exists
    found = galleries.get_gallery(GALLERY)
    assert (found.exists, found.location, found.definitions) == (True, "eastus", [])
    assert not galleries.get_gallery(GALLERY + "x").exists


def test_definition_is_created_once_then_reused(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    assert galleries.ensure_definition(GALLERY, definition(), "eastus") == "created"
    assert galleries.ensure_definition(GALLERY, definition(), "eastus") == "reused"
    assert arm_endpoint.emulator.counters.get("gallery_images.create_or_update") == 1


def test_incompatible_definition_is_left_unchanged(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    with pytest.raises(ArmError, match="left unchanged") as caught:
        galleries.ensure_definition(GALLERY, definition(hyper_v_generation="V1"), "eastus")
    assert caught.value.code == "DefinitionIncompatible"
    assert arm_endpoint.emulator.counters.get("gallery_images.create_or_update") == 1


def test_version_is_started_not_waited_for_and_not_made_twice(
    arm_endpoint: RunningEmulator,
) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    started = versions.start_version(GALLERY, image_plan(), "mig-1")
    assert started.provisioning_state == "Creating"
    again = versions.start_version(GALLERY, image_plan(), "mig-1")  # the activity ran twice
    assert again.source.lower() == WEB.lower()
    assert arm_endpoint.emulator.counters.get("gallery_image_versions.create_or_update") == 1
    version = versions.get_version(GALLERY, "web", "1.0.0")
    assert version.tags["galleryMigrator.migrationId"] == "mig-1"
    assert replication_complete(version, WEB) is not None
    arm_endpoint.advance(6 * 3600)
    done = versions.get_version(GALLERY, "web", "1.0.0")
    assert replication_complete(done, WEB) is None
    assert {r.name for r in done.regions} == {"eastus", "westus2"}


def test_an_image_id_too_long_for_a_tag_still_makes_a_version(
    arm_endpoint: RunningEmulator,
) -> None:
    long_id = f"{RG}/{'g' * 90}/providers/Microsoft.Compute/images/{'i' * 80}"
    assert len(long_id) > 256  # ARM's longest tag value
    seed(arm_endpoint)
    arm_endpoint.emulator.seed_image(long_id, location="eastus", hyper_v_generation="V2")
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    started = versions.start_version(GALLERY, image_plan(long_id), "mig-1")
    assert started.provisioning_state == "Creating"
    tags = versions.get_version(GALLERY, "web", "1.0.0").tags
    assert "galleryMigrator.source" not in tags
    assert tags["galleryMigrator.sourceFingerprint"]


def test_version_taken_by_another_source(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    versions.start_version(GALLERY, image_plan(OTHER), "mig-1")
    with pytest.raises(ArmError, match="already exists from") as caught:
        versions.start_version(GALLERY, image_plan(WEB), "mig-2")
    assert caught.value.code == "VersionTaken"


def test_missing_definition_asks_to_come_back(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    with pytest.raises(ArmError) as caught:
        versions.start_version(GALLERY, image_plan(), "mig-1")
    assert caught.value.code == "ParentResourceNotFound"
    assert caught.value.retry_after == retry.CACHE_LAG_WAIT


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(faults=FaultConfig(cache_lag_requests=2))]
)
def test_cache_lag_on_a_new_definition_asks_to_come_back(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    with pytest.raises(ArmError) as caught:  # the poller's final GET misses it
        galleries.ensure_definition(GALLERY, definition(), "eastus")
    assert caught.value.retry_after == retry.CACHE_LAG_WAIT
    with pytest.raises(ArmError) as caught:  # and so does the version's PUT, once
        versions.start_version(GALLERY, image_plan(), "mig-1")
    assert caught.value.retry_after == retry.CACHE_LAG_WAIT
    assert galleries.ensure_definition(GALLERY, definition(), "eastus") == "reused"
    assert versions.start_version(GALLERY, image_plan(), "mig-1").provisioning_state == "Creating"


def test_delete_refuses_until_replication_completes(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    versions.start_version(GALLERY, image_plan(), "mig-1")
    with pytest.raises(ArmError, match="not Succeeded") as caught:
        images.delete_source(WEB, GALLERY, "web", "1.0.0")
    assert caught.value.code == "NotSafeToDelete"
    assert images.get_image(WEB).exists
    arm_endpoint.advance(6 * 3600)
    assert images.delete_source(WEB, GALLERY, "web", "1.0.0") == "deleting"
    assert not images.get_image(WEB).exists
    assert images.delete_source(WEB, GALLERY, "web", "1.0.0") == "gone"
    kinds = [e.kind for e in arm_endpoint.emulator.events if e.resource_id.lower() == WEB.lower()]
    assert "source_deleted_while_replicating" not in kinds


def made_without_an_end_of_life(arm_endpoint: RunningEmulator) -> None:
    """Version web/1.0.0 as an older release of the app made it, at api-version 2025-03-03
    (no end of life, not blocked), replicated."""
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    body = shapes.version_body(image_plan(), "mig-old")
    assert "endOfLifeDate" not in body["properties"]["publishingProfile"]
    path = f"{GALLERY}/images/web/versions/1.0.0?api-version=2025-03-03"
    assert arm_endpoint.request("PUT", path, body).status == 201
    arm_endpoint.advance(6 * 3600)


def test_blocking_a_version_without_an_end_of_life_states_the_planned_one(
    arm_endpoint: RunningEmulator,
) -> None:
    """The block is an update PUT at 2026-03-03: without an end of life in it, Azure would end
    the version's life six months after it was published (and so would the emulator)."""
    made_without_an_end_of_life(arm_endpoint)
    planned = NOW.replace(year=2030, microsecond=0)
    assert (
        images.delete_source(WEB, GALLERY, "web", "1.0.0", block_version=True, end_of_life=planned)
        == "deleting"
    )
    found = versions.get_version(GALLERY, "web", "1.0.0")
    assert found.block_deletion_before_end_of_life
    assert found.end_of_life_date == planned


def test_a_version_without_an_end_of_life_is_not_blocked_with_none_to_give(
    arm_endpoint: RunningEmulator,
) -> None:
    made_without_an_end_of_life(arm_endpoint)
    with pytest.raises(ArmError, match="no end of life") as caught:
        images.delete_source(WEB, GALLERY, "web", "1.0.0", block_version=True)
    assert caught.value.code == "EndOfLifeMissing"
    found = versions.get_version(GALLERY, "web", "1.0.0")
    assert (found.end_of_life_date, found.block_deletion_before_end_of_life) == (None, False)
    assert images.get_image(WEB).exists, "kept: its only copy could not be protected"


def test_delete_refuses_a_version_of_another_image(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    versions.start_version(GALLERY, image_plan(OTHER), "mig-1")
    arm_endpoint.advance(6 * 3600)
    with pytest.raises(ArmError, match="comes from"):
        images.delete_source(WEB, GALLERY, "web", "1.0.0")
    assert images.get_image(WEB).exists


def test_delete_refuses_an_image_recreated_since_its_version(
    arm_endpoint: RunningEmulator,
) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    versions.start_version(GALLERY, image_plan(), "mig-1")
    arm_endpoint.advance(6 * 3600)
    # The same id, other disks: a different image that no version holds a copy of.
    arm_endpoint.emulator.seed_image(WEB, location="eastus", os_disk_gb=64, data_disks_gb=(10,))
    with pytest.raises(ArmError, match="re-written or re-created") as caught:
        images.delete_source(WEB, GALLERY, "web", "1.0.0")
    assert caught.value.code == "SourceChanged"
    assert images.get_image(WEB).exists


def test_an_image_recreated_while_the_delete_is_checked_is_kept(
    arm_endpoint: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The image is read (its fingerprint compared) last, right before the delete is sent: one
    re-captured under the same id while the scale sets are listed and the version is blocked
    is the new image, and is kept (the chaos benchmark found the delete hitting it)."""
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    versions.start_version(GALLERY, image_plan(), "mig-1")
    arm_endpoint.advance(6 * 3600)
    listing = images.scale_sets_by_image

    def recaptured_meanwhile(subscription: str) -> dict[str, list[str]]:
        assert arm_endpoint.request("DELETE", f"{WEB}?api-version=2026-04-01").status == 202
        arm_endpoint.emulator.settle()
        arm_endpoint.emulator.seed_image(WEB, location="eastus", os_disk_gb=64)
        return listing(subscription)

    monkeypatch.setattr(images, "scale_sets_by_image", recaptured_meanwhile)
    with pytest.raises(ArmError, match="re-written or re-created") as caught:
        images.delete_source(WEB, GALLERY, "web", "1.0.0", block_version=True)
    assert caught.value.code == "SourceChanged"
    assert images.get_image(WEB).exists
    assert not unsafe_deletions(arm_endpoint.emulator.events)


def test_version_tags_say_what_it_was_made_from(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    versions.start_version(GALLERY, image_plan(), "mig-7")
    version = versions.get_version(GALLERY, "web", "1.0.0")
    assert version.fingerprint == images.get_image(WEB).fingerprint
    assert version.tags["galleryMigrator.source"] == WEB
    assert version.tags["galleryMigrator.migrationId"] == "mig-7"


def test_inspect_and_plan_reads_everything_a_plan_needs(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    versions.start_version(GALLERY, image_plan(OTHER), "mig-1")
    request = parse({"gallery": GALLERY, "images": [{"source": WEB}, {"source": WEB + "-missing"}]})
    _, plan = inspect_and_plan(request, Settings().plan_rules(), NOW)
    assert plan.images[0].version == "1.0.1"  # 1.0.0 is other's
    assert plan.images[0].definition is not None
    assert not plan.images[0].definition.create
    assert "was not found" in plan.images[1].problems[0]
    assert arm_endpoint.emulator.counters.get("gallery_image_versions.create_or_update") == 1


def test_a_version_made_meanwhile_by_another_migration_is_not_taken_over(
    arm_endpoint: RunningEmulator,
) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    versions.start_version(GALLERY, image_plan(), "mig-1")
    assert versions.start_version(GALLERY, image_plan(), "mig-1").source  # its own: fine
    with pytest.raises(ArmError, match="made meanwhile by migration mig-1") as caught:
        versions.start_version(GALLERY, image_plan(), "mig-2")
    assert caught.value.code == "VersionTaken"
    adopted = image_plan().model_copy(update={"adopt": True})
    assert versions.start_version(GALLERY, adopted, "mig-2").source  # the plan chose to adopt it


def test_a_throttled_read_is_raised_not_taken_for_the_images_answer(
    arm_endpoint: RunningEmulator,
) -> None:
    """Event Grid then delivers the event again, instead of the image being dropped."""
    seed(arm_endpoint)
    starved = {"enabled": True, "reads": {"capacity": 1, "refill_per_second": 0.001}}
    arm_endpoint.emulator.configure_faults(FaultConfig.model_validate({"throttle": starved}))
    request = parse({"gallery": GALLERY, "images": [{"source": WEB}]})
    with pytest.raises(Throttled):
        inspect_and_plan(request, Settings().plan_rules(), NOW)
