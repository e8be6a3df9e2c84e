"""From a validated request and what inspection found, decide what each image needs.

Pure code: orchestrations call it with facts read by activities (so a replay decides the same), and
the dry run and the Event Grid starter call it on the same inspection. The parts live beside it:
definitions (``definitions``), versions (``versions``), target regions (``regions``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from migration.domain.definitions import DefinitionPlan, DefinitionPlanner
from migration.domain.facts import (
    GALLERY_READ,
    Data,
    GalleryFacts,
    ImageFacts,
    Inspection,
    RegionTarget,
    VersionFacts,
)
from migration.domain.ids import parse_image_id
from migration.domain.naming import definition_name_for
from migration.domain.regions import target_regions
from migration.domain.request import DeleteSource, ImageSpec, MigrationRequest
from migration.domain.versions import choose_version, made_from


class DeletionBlock(StrEnum):
    """When a version this app creates blocks its own deletion before its end of life.

    ``onceSourceDeleted`` (the default): a new version stays deletable while it may still fail
    (a failed version left blocked would sit in the gallery until its end of life), and is
    blocked right before its source is deleted, when it becomes the only copy.
    """

    ONCE_SOURCE_DELETED = "onceSourceDeleted"
    ALWAYS = "always"
    NEVER = "never"


class PlanRules(Data):
    """What planning takes from the app's settings (an orchestration gets a snapshot)."""

    max_data_disk_gb: int
    default_publisher: str | None = None
    # A version's end of life when the request gives none: this long after it is planned.
    default_end_of_life: timedelta
    deletion_block: DeletionBlock


class ImagePlan(Data):
    source: str
    image_name: str = ""
    location: str = ""
    fingerprint: str = ""
    definition: DefinitionPlan | None = None
    version: str | None = None
    adopt: bool = False
    skipped: bool = False
    target_regions: list[RegionTarget] = Field(default_factory=list)
    end_of_life_date: datetime | None = None
    exclude_from_latest: bool = False
    # The version's deletion block as created, and whether to block it once the source goes.
    block_deletion: bool = False
    block_before_source_delete: bool = False
    # An adopted version with no end of life gets this one when its deletion is blocked (a
    # re-PUT without one would get Azure's six months from its published date).
    end_of_life_when_blocked: datetime | None = None
    # Scale sets that reference the image (they need it to scale out and reimage), and whether
    # they could not be listed (then ``scale_sets`` says nothing).
    scale_sets: list[str] = Field(default_factory=list)
    scale_sets_unknown: bool = False
    delete_in_use: bool = False
    notes: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)

    @property
    def ready(self) -> bool:
        return (
            not self.problems
            and not self.skipped
            and self.definition is not None
            and self.version is not None
        )


class Plan(Data):
    gallery: str
    problems: list[str] = Field(default_factory=list)
    images: list[ImagePlan] = Field(default_factory=list)

    @property
    def definitions_to_create(self) -> list[DefinitionPlan]:
        seen: dict[str, DefinitionPlan] = {}
        for image in self.images:
            if image.ready and image.definition and image.definition.create:
                seen.setdefault(image.definition.name.lower(), image.definition)
        return list(seen.values())


def definition_name(spec: ImageSpec, image: ImageFacts) -> str:
    """The definition an image goes to: the one asked for, else one named after the image."""
    return spec.definition.name or definition_name_for(image.name or parse_image_id(image.id).name)


def existing_targets(
    request: MigrationRequest, images: Mapping[str, ImageFacts], gallery: GalleryFacts
) -> list[str]:
    """The existing definitions the images go to: their versions must be read before planning."""
    wanted = {
        definition_name(spec, images[spec.source.lower()]).lower()
        for spec in request.images
        if spec.source.lower() in images
    }
    return sorted(d.name for d in gallery.definitions if d.name.lower() in wanted)


def sources_of(
    request: MigrationRequest, images: Mapping[str, ImageFacts], definition: str
) -> list[str]:
    """The sources (lower case) that go to ``definition``."""
    return [
        spec.source.lower()
        for spec in request.images
        if spec.source.lower() in images
        and definition_name(spec, images[spec.source.lower()]).lower() == definition.lower()
    ]


def given_up(request: MigrationRequest, inspection: Inspection) -> Inspection:
    """``inspection`` with every read still waited for taken as failed for good.

    For an orchestration that has waited as long as the retry policy allows: the images those
    reads were for are blocked with the reason, the others go on.
    """
    settled = inspection.model_copy(deep=True)
    for key, wait in inspection.waits.items():
        reason = f"could not be read in time: {wait.message}"
        if key == GALLERY_READ:
            settled.gallery = GalleryFacts(id=request.gallery, exists=False, error=reason)
        elif key.startswith("image:"):
            settled.unreadable[key.removeprefix("image:")] = reason
        elif key.startswith("versions:"):
            for source in sources_of(request, inspection.images, key.removeprefix("versions:")):
                settled.unreadable[source] = reason
        elif key.startswith("encryptionSet:"):
            # Every image's regions use the request's sets.
            for spec in request.images:
                settled.unreadable.setdefault(spec.source.lower(), reason)
        elif key.startswith("scaleSets:"):
            # The plan says it cannot tell; the delete step lists them again, and keeps the
            # source if it still cannot.
            settled.scale_sets_unlisted[key.removeprefix("scaleSets:")] = reason
    if settled.gallery is None:
        settled.gallery = GalleryFacts(id=request.gallery, exists=False, error="never read")
    settled.waits = {}
    return settled


def build_plan(
    request: MigrationRequest,
    inspection: Inspection,
    rules: PlanRules,
    *,
    now: datetime,
    skip_migrated: Collection[str] | bool = False,
    migration_id: str | None = None,
) -> Plan:
    """Plan every image of ``request`` from what ``inspection`` found, at ``now``.

    An image ``skip_migrated`` names (its source, lower case; ``True``: every image) that already
    feeds a version is left alone (Event Grid's repeated events, images selected by scope)
    instead of adopted. ``migration_id`` is the migration planning (a dry run has
    none): a version still being made by another migration is not adopted.
    """
    if inspection.gallery is None:
        raise ValueError("build_plan needs an inspection that read the gallery")
    gallery = inspection.gallery
    plan = Plan(gallery=gallery.id)
    if gallery.error:
        plan.problems.append(f"Could not read gallery {gallery.id}: {gallery.error}")
    elif not gallery.exists:
        plan.problems.append(f"Gallery {gallery.id} was not found.")
    definitions = DefinitionPlanner(gallery, rules.default_publisher)
    taken_versions = {name: {v.name for v in found} for name, found in inspection.versions.items()}
    for spec in request.images:
        key = spec.source.lower()
        facts = inspection.images.get(key) or ImageFacts(id=spec.source, exists=False)
        image = ImagePlan(
            source=spec.source,
            image_name=facts.name,
            location=facts.location,
            fingerprint=facts.fingerprint,
            exclude_from_latest=request.exclude_from_latest,
            scale_sets=inspection.scale_sets.get(key, []),
            delete_in_use=request.delete_in_use_sources,
        )
        plan.images.append(image)
        _scale_sets_unknown(image, inspection)
        if (reason := inspection.unreadable.get(key)) is not None:
            image.problems.append(reason)
            continue
        image.problems.extend(_source_problems(facts, rules.max_data_disk_gb))
        if image.problems or not gallery.exists:
            continue
        image.target_regions = target_regions(
            request, facts, inspection, image.notes, image.problems
        )
        name = definition_name(spec, facts)
        asked = request.security_type_for(spec)
        definition = definitions.plan(spec, facts, name, asked, image.problems, image.notes)
        if definition is None or image.problems:
            continue
        image.definition = definition
        existing = list(inspection.versions.get(name.lower(), ()))
        skip = skip_migrated is True or (
            not isinstance(skip_migrated, bool) and key in skip_migrated
        )
        if skip and (mine := made_from(existing, image.source, image.fingerprint)):
            image.version = mine.name
            image.skipped = True
            image.notes.append(f"already migrated as version {mine.name}; left alone")
            continue
        taken = taken_versions.setdefault(name.lower(), set())
        choice = choose_version(
            spec.version,
            image.source,
            image.fingerprint,
            image.target_regions,
            existing,
            taken,
            migration_id,
        )
        if choice.problem is not None:
            image.problems.append(choice.problem)
            continue
        image.version = choice.version
        _life(image, request, rules, now)
        if (adopted := choice.adopted) is not None:
            image.adopt = True
            image.target_regions = adopted.target_regions or image.target_regions
            image.notes.append(f"version {adopted.name} already exists from this image; reusing it")
            _adopted_life(image, adopted, request)
        definitions.remember(definition)
    return plan


def _life(image: ImagePlan, request: MigrationRequest, rules: PlanRules, now: datetime) -> None:
    """The version's end of life and deletion block, stated: never left to Azure's defaults."""
    image.end_of_life_date = request.end_of_life_date or now + rules.default_end_of_life
    if request.block_deletion_before_end_of_life is not None:
        image.block_deletion = request.block_deletion_before_end_of_life
    else:
        image.block_deletion = rules.deletion_block == DeletionBlock.ALWAYS
        image.block_before_source_delete = rules.deletion_block == DeletionBlock.ONCE_SOURCE_DELETED


def _scale_sets_unknown(image: ImagePlan, inspection: Inspection) -> None:
    """Flag an image whose subscription's scale sets could not be listed: its empty
    ``scale_sets`` means "unknown", not "none"."""
    subscription = parse_image_id(image.source).subscription.lower()
    if (reason := inspection.scale_sets_unlisted.get(subscription)) is None:
        return
    image.scale_sets_unknown = True
    image.notes.append(
        f"could not list the scale sets of subscription {subscription} ({reason}): whether one "
        "uses this image is unknown; deleting the source lists them again and keeps it if that "
        "fails too"
    )


def _adopted_life(image: ImagePlan, adopted: VersionFacts, request: MigrationRequest) -> None:
    """An adopted version keeps its own end of life and block. One without an end of life
    (made at an older api-version) is given the planned one if this migration blocks it: the
    block is a PUT, and a PUT at api-version 2026-03-03 that states none gets six months from
    the version's published date, which may be past or near."""
    planned = image.end_of_life_date
    image.end_of_life_date = adopted.end_of_life_date
    image.block_deletion = adopted.block_deletion_before_end_of_life
    if adopted.end_of_life_date is not None or planned is None:
        return
    if (
        image.block_before_source_delete
        and not image.block_deletion
        and request.delete_source != DeleteSource.NEVER
    ):
        image.end_of_life_when_blocked = planned
        image.notes.append(
            f"version {adopted.name} has no end of life: it is given {planned:%Y-%m-%d} when its "
            "deletion is blocked, right before its source is deleted"
        )
    else:
        blocked = (
            "; its deletion stays blocked until the block is cleared"
            if image.block_deletion
            else ""
        )
        image.notes.append(f"version {adopted.name} has no end of life and keeps none{blocked}")


def _source_problems(image: ImageFacts, max_data_disk_gb: int) -> list[str]:
    if not image.exists:
        return [f"Managed image {image.id} was not found."]
    problems = []
    if image.provisioning_state.lower() != "succeeded":
        problems.append(
            f"Managed image {image.id} is in state '{image.provisioning_state}', not 'Succeeded'."
        )
    if image.os_state and image.os_state.lower() != "generalized":
        problems.append(f"Managed image {image.id} is {image.os_state}, not Generalized.")
    for lun, size in zip(image.data_disk_luns, image.data_disks_gb, strict=True):
        if size > max_data_disk_gb:
            problems.append(
                f"Data disk {lun} of {image.id} is {size} GB; the limit is {max_data_disk_gb} GB."
            )
    return problems
