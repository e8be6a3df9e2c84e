from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from migration.config.settings import Settings
from migration.domain.facts import EncryptionSetFacts, Identifier, Inspection, RegionTarget
from migration.domain.plan import build_plan
from tests.migration import factories as f

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def plan_for(
    body: dict[str, Any], *images: Any, gallery: Any = None, versions: Any = None, **kw: Any
) -> Any:
    request = f.parse(body)
    inspection = Inspection(
        gallery=gallery if gallery is not None else f.gallery(),
        images={i.id.lower(): i for i in images},
        versions=versions or {},
        unreadable=kw.pop("unreadable", {}),
        encryption_sets=kw.pop("encryption_sets", {}),
        scale_sets=kw.pop("scale_sets", {}),
    )
    rules = Settings().plan_rules()
    if "max_data_disk_gb" in kw:
        rules = rules.model_copy(update={"max_data_disk_gb": kw.pop("max_data_disk_gb")})
    return build_plan(request, inspection, rules, now=f.NOW, **kw)


def test_new_image_gets_a_derived_definition_and_version_1_0_0() -> None:
    plan = plan_for(f.request_body(f.image_id("web")), f.image("web"))
    image = plan.images[0]
    assert image.ready
    assert image.definition is not None
    assert image.definition.name == "web"
    assert image.definition.create
    assert image.definition.identifier == Identifier(
        publisher="images-rg", offer="web", sku="linux-v2"
    )
    assert image.version == "1.0.0"
    assert image.target_regions == [RegionTarget(name="eastus", replicas=1)]
    assert image.notes == []
    assert [d.name for d in plan.definitions_to_create] == ["web"]


def test_source_region_is_added_and_said() -> None:
    body = f.request_body(
        targetRegions=[
            {"name": "westus2", "replicaCount": 2, "storageAccountType": "Standard_ZRS"}
        ],
        storageAccountType="Standard_LRS",
        replicaCount=1,
    )
    image = plan_for(body, f.image("web")).images[0]
    assert image.target_regions == [
        RegionTarget(name="eastus", replicas=1, storage_account_type="Standard_LRS"),
        RegionTarget(name="westus2", replicas=2, storage_account_type="Standard_ZRS"),
    ]
    assert image.notes == ["source region eastus added to the target regions"]


def test_existing_compatible_definition_gets_the_next_patch() -> None:
    existing = f.definition("web")
    versions = {
        "web": [
            f.version("web", "1.0.0", f.image_id("old")),
            f.version("web", "1.2.3", f.image_id("older")),
        ]
    }
    plan = plan_for(
        f.request_body(), f.image("web"), gallery=f.gallery(existing), versions=versions
    )
    image = plan.images[0]
    assert image.definition is not None
    assert not image.definition.create
    assert image.version == "1.2.4"
    assert plan.definitions_to_create == []


def test_incompatible_definition_is_never_changed() -> None:
    existing = f.definition("web", os_type="Windows", hyper_v_generation="V1")
    image = plan_for(f.request_body(), f.image("web"), gallery=f.gallery(existing)).images[0]
    assert not image.ready
    assert any("is for Windows" in p for p in image.problems)
    assert any("Hyper-V generation V1" in p for p in image.problems)


def test_trusted_launch_definition_cannot_take_a_managed_image() -> None:
    existing = f.definition("web", security_type="TrustedLaunch")
    image = plan_for(f.request_body(), f.image("web"), gallery=f.gallery(existing)).images[0]
    assert any("needs sources with VM guest state" in p for p in image.problems)


def test_asked_identifier_must_match_an_existing_definition() -> None:
    body = f.request_body()
    body["images"][0]["definition"] = {"publisher": "someone-else"}
    image = plan_for(body, f.image("web"), gallery=f.gallery(f.definition("web"))).images[0]
    assert image.problems == ["Definition web has publisher 'images-rg', not 'someone-else'."]


def test_identifier_taken_by_another_definition() -> None:
    other = f.definition(
        "other", identifier=Identifier(publisher="images-rg", offer="web", sku="linux-v2")
    )
    image = plan_for(f.request_body(), f.image("web"), gallery=f.gallery(other)).images[0]
    assert "already used by definition other" in image.problems[0]


def test_source_preconditions() -> None:
    body = f.request_body(f.image_id("a"), f.image_id("b"), f.image_id("c"), f.image_id("gone"))
    plan = plan_for(
        body,
        f.image("a", provisioning_state="Failed"),
        f.image("b", data_disks_gb=[512, 2048]),
        f.image("c", os_state="Specialized"),
    )
    problems = [i.problems for i in plan.images]
    assert "not 'Succeeded'" in problems[0][0]
    assert problems[1] == [f"Data disk 1 of {f.image_id('b')} is 2048 GB; the limit is 1024 GB."]
    assert "not Generalized" in problems[2][0]
    assert "was not found" in problems[3][0]


def test_data_disk_limit_is_a_setting() -> None:
    body = f.request_body()
    assert (
        plan_for(body, f.image("web", data_disks_gb=[2048]), max_data_disk_gb=2048).images[0].ready
    )


def test_missing_gallery_blocks_every_image() -> None:
    plan = plan_for(f.request_body(), f.image("web"), gallery=f.gallery(exists=False))
    assert plan.problems == [f"Gallery {f.GALLERY} was not found."]
    assert not plan.images[0].ready


def test_two_images_into_one_new_definition_get_consecutive_versions() -> None:
    body = f.request_body(f.image_id("web", rg="a"), f.image_id("web", rg="b"))
    plan = plan_for(
        body,
        f.image("web", id=f.image_id("web", rg="a")),
        f.image("web", id=f.image_id("web", rg="b")),
    )
    assert [i.version for i in plan.images] == ["1.0.0", "1.0.1"]
    assert len(plan.definitions_to_create) == 1


def test_two_incompatible_images_into_one_new_definition() -> None:
    body = f.request_body(f.image_id("web", rg="a"), f.image_id("web", rg="b"))
    plan = plan_for(
        body,
        f.image("web", id=f.image_id("web", rg="a")),
        f.image("web", id=f.image_id("web", rg="b"), os_type="Windows"),
    )
    assert plan.images[0].ready
    assert "planned for a Linux V2 image" in plan.images[1].problems[0]


def test_asked_version_taken_by_another_source() -> None:
    body = f.request_body()
    body["images"][0]["version"] = "1.0.0"
    versions = {"web": [f.version("web", "1.0.0", f.image_id("other"))]}
    image = plan_for(
        body, f.image("web"), gallery=f.gallery(f.definition("web")), versions=versions
    ).images[0]
    assert image.problems == [f"Version 1.0.0 is already taken (from {f.image_id('other')})."]


def test_version_from_this_image_is_adopted_not_made_twice() -> None:
    mine = f.version("web", "1.0.3", f.image_id("web").upper(), state="Creating")
    mine.target_regions = [RegionTarget(name="eastus", replicas=1)]
    plan = plan_for(
        f.request_body(),
        f.image("web"),
        gallery=f.gallery(f.definition("web")),
        versions={"web": [mine]},
    )
    image = plan.images[0]
    assert image.ready
    assert image.adopt
    assert image.version == "1.0.3"


def test_adopted_version_must_cover_the_asked_regions() -> None:
    mine = f.version("web", "1.0.3", f.image_id("web"))
    mine.target_regions = [RegionTarget(name="eastus", replicas=1)]
    body = f.request_body(targetRegions=[{"name": "eastus"}, {"name": "westus"}])
    image = plan_for(
        body, f.image("web"), gallery=f.gallery(f.definition("web")), versions={"web": [mine]}
    ).images[0]
    assert "without regions westus" in image.problems[0]


def test_failed_version_from_this_image_is_not_adopted() -> None:
    failed = f.version("web", "1.0.0", f.image_id("web"), state="Failed")
    image = plan_for(
        f.request_body(),
        f.image("web"),
        gallery=f.gallery(f.definition("web")),
        versions={"web": [failed]},
    ).images[0]
    assert not image.adopt
    assert image.version == "1.0.1"


def test_skip_migrated_leaves_an_already_migrated_image_alone() -> None:
    mine = f.version("web", "1.0.0", f.image_id("web"))
    plan = plan_for(
        f.request_body(),
        f.image("web"),
        gallery=f.gallery(f.definition("web")),
        versions={"web": [mine]},
        skip_migrated=True,
    )
    assert plan.images[0].skipped
    assert not plan.images[0].ready


def test_a_version_of_an_earlier_image_of_the_same_id_is_not_adopted() -> None:
    """Deleting the new image on the strength of the old one's version would lose it."""
    old = f.version("web", "1.0.0", f.image_id("web"), fingerprint="fp-of-the-old-disks")
    gallery = f.gallery(f.definition("web"))
    plan = plan_for(f.request_body(), f.image("web"), gallery=gallery, versions={"web": [old]})
    assert not plan.images[0].adopt
    assert plan.images[0].version == "1.0.1"
    skipping = plan_for(
        f.request_body(),
        f.image("web"),
        gallery=gallery,
        versions={"web": [old]},
        skip_migrated=True,
    )
    assert not skipping.images[0].skipped


def test_a_version_another_migration_is_still_making_is_not_adopted() -> None:
    making = f.version("web", "1.0.0", f.image_id("web"), state="Creating")
    making.tags["galleryMigrator.migrationId"] = "mig-other"
    gallery = f.gallery(f.definition("web"))
    request = f.request_body()
    blocked = plan_for(
        request, f.image("web"), gallery=gallery, versions={"web": [making]}, migration_id="mig-me"
    )
    assert blocked.images[0].problems == [
        "Version 1.0.0 of this image is still being made by migration mig-other."
    ]
    # Its own version (an earlier attempt of the same migration) is adopted.
    mine = plan_for(
        request,
        f.image("web"),
        gallery=gallery,
        versions={"web": [making]},
        migration_id="mig-other",
    )
    assert mine.images[0].adopt


# Security types --------------------------------------------------------------------------------


def test_a_new_definition_states_its_security_type_by_generation() -> None:
    plan = plan_for(
        f.request_body(f.image_id("gen2"), f.image_id("gen1")),
        f.image("gen2"),
        f.image("gen1", hyper_v_generation="V1"),
    )
    kinds = [(i.definition.hyper_v_generation, i.definition.security_type) for i in plan.images]
    assert kinds == [("V2", "TrustedLaunchSupported"), ("V1", "Standard")]


def test_an_asked_security_type_is_used_and_held_to_the_generation() -> None:
    body = f.request_body(f.image_id("gen2"), f.image_id("gen1"), securityType="standard")
    plan = plan_for(body, f.image("gen2"), f.image("gen1", hyper_v_generation="V1"))
    assert [i.definition.security_type for i in plan.images] == ["Standard", "Standard"]
    body = f.request_body(f.image_id("gen1"), securityType="ConfidentialVMSupported")
    (image,) = plan_for(body, f.image("gen1", hyper_v_generation="V1")).images
    assert image.problems == [
        "Security type ConfidentialVMSupported needs Hyper-V generation V2; the image is V1."
    ]


def test_an_existing_definition_is_adopted_whatever_its_type_unless_one_is_asked() -> None:
    existing = f.gallery(f.definition("web"))  # no feature: Standard, as every old definition
    (image,) = plan_for(f.request_body(), f.image("web"), gallery=existing).images
    assert image.ready
    assert image.definition.security_type == "Standard"
    body = f.request_body(securityType="TrustedLaunchSupported")
    (image,) = plan_for(body, f.image("web"), gallery=existing).images
    assert image.problems == [
        "Definition web is Standard, not TrustedLaunchSupported as asked; it is left unchanged."
    ]


def test_a_confidential_type_advises_a_small_os_disk() -> None:
    body = f.request_body(securityType="ConfidentialVMSupported")
    (image,) = plan_for(body, f.image("web", os_disk_gb=64)).images
    assert image.ready
    assert any("advises under 32 GB" in note for note in image.notes)


# End of life and deletion block ----------------------------------------------------------------


def test_every_version_states_its_end_of_life_and_deletion_block() -> None:
    (image,) = plan_for(f.request_body(), f.image("web")).images
    assert image.end_of_life_date == f.NOW + Settings().default_end_of_life
    assert (image.block_deletion, image.block_before_source_delete) == (False, True)
    body = f.request_body(endOfLifeDate="2030-06-30", blockDeletionBeforeEndOfLife=True)
    (image,) = plan_for(body, f.image("web")).images
    assert image.end_of_life_date.isoformat() == "2030-06-30T23:59:59+00:00"
    assert (image.block_deletion, image.block_before_source_delete) == (True, False)
    body = f.request_body(blockDeletionBeforeEndOfLife=False)
    (image,) = plan_for(body, f.image("web")).images
    assert (image.block_deletion, image.block_before_source_delete) == (False, False)


def test_an_adopted_version_shows_its_own_end_of_life_and_block() -> None:
    made = f.version("web", "1.0.0", f.image_id("web"), fingerprint="fp-web")
    made = made.model_copy(
        update={"end_of_life_date": f.NOW, "block_deletion_before_end_of_life": True}
    )
    gallery = f.gallery(f.definition("web"))
    (image,) = plan_for(
        f.request_body(), f.image("web"), gallery=gallery, versions={"web": [made]}
    ).images
    assert image.adopt
    assert (image.end_of_life_date, image.block_deletion) == (f.NOW, True)


def adopted_without_end_of_life(body: dict[str, Any], *, blocked: bool = False) -> Any:
    made = f.version("web", "1.0.0", f.image_id("web"), fingerprint="fp-web")
    made = made.model_copy(update={"block_deletion_before_end_of_life": blocked})
    gallery = f.gallery(f.definition("web"))
    (image,) = plan_for(body, f.image("web"), gallery=gallery, versions={"web": [made]}).images
    assert image.adopt
    return image


def test_an_adopted_version_without_an_end_of_life_is_given_one_when_it_is_blocked() -> None:
    """Blocking it is a PUT, and a PUT at api-version 2026-03-03 without an end of life gets
    six months from the version's published date: the plan states one, and shows it."""
    image = adopted_without_end_of_life(f.request_body())
    planned = f.NOW + Settings().default_end_of_life
    assert (image.end_of_life_date, image.end_of_life_when_blocked) == (None, planned)
    assert image.block_before_source_delete
    assert f"version 1.0.0 has no end of life: it is given {planned:%Y-%m-%d}" in image.notes[-1]
    # The request's end of life is the one given.
    image = adopted_without_end_of_life(f.request_body(endOfLifeDate="2031-01-31"))
    assert image.end_of_life_when_blocked is not None
    assert image.end_of_life_when_blocked.date().isoformat() == "2031-01-31"


def test_an_adopted_version_without_an_end_of_life_that_nothing_re_writes_keeps_none() -> None:
    for image in (
        adopted_without_end_of_life(f.request_body(deleteSource="never")),
        adopted_without_end_of_life(f.request_body(blockDeletionBeforeEndOfLife=False)),
        adopted_without_end_of_life(f.request_body(), blocked=True),
    ):
        assert (image.end_of_life_date, image.end_of_life_when_blocked) == (None, None)
        assert "version 1.0.0 has no end of life and keeps none" in image.notes[-1]
    assert "stays blocked until the block is cleared" in image.notes[-1]


# Encryption ------------------------------------------------------------------------------------

DES = f"/subscriptions/{f.SUB}/resourceGroups/keys/providers/Microsoft.Compute/diskEncryptionSets"


def encrypted(region: str, **encryption: Any) -> dict[str, Any]:
    return {"name": region, "encryption": encryption}


def sets(*names_and_regions: tuple[str, str]) -> dict[str, EncryptionSetFacts]:
    return {
        f"{DES}/{name}".lower(): EncryptionSetFacts(id=f"{DES}/{name}", location=region)
        for name, region in names_and_regions
    }


def test_encryption_sets_are_resolved_to_each_data_disk_of_the_image() -> None:
    body = f.request_body(
        targetRegions=[
            encrypted(
                "eastus",
                osDiskEncryptionSetId=f"{DES}/east",
                dataDiskEncryptionSetId=f"{DES}/east",
                dataDisks=[{"lun": 3, "diskEncryptionSetId": f"{DES}/east-lun3"}],
            )
        ]
    )
    image = f.image("web", data_disks_gb=[100, 200], data_disk_luns=[0, 3])
    plan = plan_for(body, image, encryption_sets=sets(("east", "eastus"), ("east-lun3", "eastus")))
    (planned,) = plan.images
    assert planned.ready, planned.problems
    (target,) = planned.target_regions
    assert target.encryption is not None
    assert target.encryption.os_disk == f"{DES}/east"
    assert target.encryption.data_disks == {0: f"{DES}/east", 3: f"{DES}/east-lun3"}


def test_encryption_sets_must_exist_in_their_region_and_name_real_luns() -> None:
    body = f.request_body(
        targetRegions=[
            encrypted(
                "eastus",
                osDiskEncryptionSetId=f"{DES}/west",
                dataDisks=[{"lun": 7, "diskEncryptionSetId": f"{DES}/missing"}],
            )
        ]
    )
    (image,) = plan_for(body, f.image("web"), encryption_sets=sets(("west", "westus2"))).images
    assert sorted(image.problems) == sorted(
        [
            "targetRegions eastus: the image has no data disk at LUN 7.",
            f"Disk encryption set {DES}/west is in westus2; region eastus needs one of its own "
            "region.",
        ]
    )


def test_an_encrypted_request_must_name_the_source_region_too() -> None:
    body = f.request_body(targetRegions=[encrypted("westus2", osDiskEncryptionSetId=f"{DES}/w")])
    (image,) = plan_for(body, f.image("web"), encryption_sets=sets(("w", "westus2"))).images
    assert any("the source's region eastus is not among them" in p for p in image.problems)


def test_an_adopted_version_without_the_asked_encryption_is_refused() -> None:
    made = f.version("web", "1.0.0", f.image_id("web"), fingerprint="fp-web")
    body = f.request_body(targetRegions=[encrypted("eastus", osDiskEncryptionSetId=f"{DES}/e")])
    (image,) = plan_for(
        body,
        f.image("web"),
        gallery=f.gallery(f.definition("web")),
        versions={"web": [made]},
        encryption_sets=sets(("e", "eastus")),
    ).images
    assert any("encryption cannot be added to a version" in p for p in image.problems)


# Scale sets ------------------------------------------------------------------------------------


def test_the_plan_names_the_scale_sets_that_use_an_image() -> None:
    users = {f.image_id("web").lower(): ["/subscriptions/s/.../virtualMachineScaleSets/web-vmss"]}
    (image,) = plan_for(f.request_body(), f.image("web"), scale_sets=users).images
    assert image.ready
    assert image.scale_sets == ["/subscriptions/s/.../virtualMachineScaleSets/web-vmss"]
