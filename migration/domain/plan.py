"""From a validated request and what inspection found, decide what each image needs.

Pure code: orchestrations call it with facts read by activities (so a replay decides the same), and
the plan endpoint calls it to answer a dry run.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import Field

from migration.domain.facts import (
    GALLERY_READ,
    TAG_MIGRATION,
    Data,
    DefinitionFacts,
    GalleryFacts,
    Identifier,
    ImageFacts,
    Inspection,
    RegionTarget,
    VersionFacts,
)
from migration.domain.ids import parse_image_id, same_id
from migration.domain.naming import definition_name_for, derive_identifier
from migration.domain.request import ImageSpec, MigrationRequest
from migration.domain.rules import normalize_region, parse_version
from migration.domain.versioning import next_free_version

# Version states from which a version can still end up Succeeded (so it may be adopted).
LIVE_VERSION_STATES = {"creating", "updating", "succeeded", "migrating"}


class DefinitionPlan(Data):
    name: str
    create: bool
    os_type: str
    os_state: str = "Generalized"
    hyper_v_generation: str
    identifier: Identifier


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
        else:
            for source in sources_of(request, inspection.images, key.removeprefix("versions:")):
                settled.unreadable[source] = reason
    if settled.gallery is None:
        settled.gallery = GalleryFacts(id=request.gallery, exists=False, error="never read")
    settled.waits = {}
    return settled


def build_plan(
    request: MigrationRequest,
    inspection: Inspection,
    *,
    max_data_disk_gb: int,
    default_publisher: str | None = None,
    skip_migrated: bool = False,
    migration_id: str | None = None,
) -> Plan:
    """Plan every image of ``request`` from what ``inspection`` found.

    With ``skip_migrated``, an image that already feeds a version is left alone (Event Grid's
    repeated events) instead of adopted. ``migration_id`` is the migration planning (a dry run has
    none): a version still being made by another migration is not adopted.
    """
    if inspection.gallery is None:
        raise ValueError("build_plan needs an inspection that read the gallery")
    images, gallery, versions = inspection.images, inspection.gallery, inspection.versions
    unreadable = inspection.unreadable
    plan = Plan(gallery=gallery.id)
    if gallery.error:
        plan.problems.append(f"Could not read gallery {gallery.id}: {gallery.error}")
    elif not gallery.exists:
        plan.problems.append(f"Gallery {gallery.id} was not found.")
    planned: dict[str, DefinitionPlan] = {}
    identifiers = {d.identifier.key(): d.name for d in gallery.definitions}
    taken_versions: dict[str, set[str]] = {
        name: {v.name for v in found} for name, found in versions.items()
    }
    for spec in request.images:
        facts = images.get(spec.source.lower()) or ImageFacts(id=spec.source, exists=False)
        image = ImagePlan(
            source=spec.source,
            image_name=facts.name,
            location=facts.location,
            fingerprint=facts.fingerprint,
            end_of_life_date=request.end_of_life_date,
            exclude_from_latest=request.exclude_from_latest,
        )
        plan.images.append(image)
        if (reason := unreadable.get(spec.source.lower())) is not None:
            image.problems.append(reason)
            continue
        image.problems.extend(_source_problems(facts, max_data_disk_gb))
        if image.problems or not gallery.exists:
            continue
        image.target_regions = _target_regions(request, facts, image.notes)
        name = definition_name(spec, facts)
        definition = _plan_definition(
            spec, facts, name, gallery, planned, identifiers, default_publisher, image.problems
        )
        if definition is None:
            continue
        image.definition = definition
        existing = list(versions.get(name.lower(), ()))
        if skip_migrated and (mine := _made_from(existing, image)):
            image.version = mine.name
            image.skipped = True
            image.notes.append(f"already migrated as version {mine.name}; left alone")
            continue
        taken = taken_versions.setdefault(name.lower(), set())
        _choose_version(spec, image, existing, taken, migration_id)
        if not image.problems and definition.create:
            planned.setdefault(name.lower(), definition)
            identifiers.setdefault(definition.identifier.key(), definition.name)
    return plan


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
    for lun, size in enumerate(image.data_disks_gb):
        if size > max_data_disk_gb:
            problems.append(
                f"Data disk {lun} of {image.id} is {size} GB; the limit is {max_data_disk_gb} GB."
            )
    return problems


def _target_regions(
    request: MigrationRequest, image: ImageFacts, notes: list[str]
) -> list[RegionTarget]:
    targets = [
        RegionTarget(
            name=region.name,
            replicas=region.replicas(request.replica_count),
            storage_account_type=region.storage_account_type or request.storage_account_type,
        )
        for region in request.target_regions
    ]
    home = normalize_region(image.location)
    if home not in {t.name for t in targets}:
        # Azure requires the version's own region (the source's) among the targets.
        targets.insert(
            0,
            RegionTarget(
                name=home,
                replicas=request.replica_count,
                storage_account_type=request.storage_account_type,
            ),
        )
        if request.target_regions:
            notes.append(f"source region {home} added to the target regions")
    return targets


def _plan_definition(
    spec: ImageSpec,
    image: ImageFacts,
    name: str,
    gallery: GalleryFacts,
    planned: dict[str, DefinitionPlan],
    identifiers: dict[tuple[str, str, str], str],
    default_publisher: str | None,
    problems: list[str],
) -> DefinitionPlan | None:
    generation = image.hyper_v_generation or "V1"
    existing = gallery.definition(name)
    if existing is not None:
        problems.extend(_incompatibilities(spec, image, existing))
        if problems:
            return None
        return DefinitionPlan(
            name=existing.name,
            create=False,
            os_type=existing.os_type,
            os_state=existing.os_state,
            hyper_v_generation=existing.hyper_v_generation,
            identifier=existing.identifier,
        )
    if (earlier := planned.get(name.lower())) is not None:
        if (earlier.os_type.lower(), earlier.hyper_v_generation.upper()) != (
            image.os_type.lower(),
            generation.upper(),
        ):
            problems.append(
                f"Definition {name} is planned for a {earlier.os_type} "
                f"{earlier.hyper_v_generation} image; this image is {image.os_type} {generation}."
            )
            return None
        return earlier
    identifier = derive_identifier(
        definition_name=name,
        image=image,
        publisher=spec.definition.publisher,
        offer=spec.definition.offer,
        sku=spec.definition.sku,
        default_publisher=default_publisher,
    )
    if (holder := identifiers.get(identifier.key())) is not None:
        problems.append(
            f"Identifier {identifier} is already used by definition {holder} in this gallery; "
            "give definition.publisher, offer or sku to make it unique."
        )
        return None
    return DefinitionPlan(
        name=name,
        create=True,
        os_type=image.os_type,
        hyper_v_generation=generation,
        identifier=identifier,
    )


def _incompatibilities(spec: ImageSpec, image: ImageFacts, existing: DefinitionFacts) -> list[str]:
    """Why an existing definition cannot take this image (it is never changed to fit)."""
    found = []
    where = f"Definition {existing.name}"
    if existing.os_type.lower() != image.os_type.lower():
        found.append(f"{where} is for {existing.os_type}; the image is {image.os_type}.")
    if existing.os_state.lower() != "generalized":
        found.append(f"{where} is {existing.os_state}; managed images are Generalized.")
    generation = image.hyper_v_generation or "V1"
    if existing.hyper_v_generation.upper() != generation.upper():
        found.append(
            f"{where} has Hyper-V generation {existing.hyper_v_generation}; "
            f"the image is {generation}."
        )
    if (existing.security_type or "").lower() == "trustedlaunch":
        found.append(f"{where} requires Trusted Launch sources; a managed image is not one.")
    for part in ("publisher", "offer", "sku"):
        asked = getattr(spec.definition, part)
        actual = getattr(existing.identifier, part)
        if asked is not None and asked.lower() != actual.lower():
            found.append(f"{where} has {part} '{actual}', not '{asked}'.")
    return found


def _made_from(existing: list[VersionFacts], image: ImagePlan) -> VersionFacts | None:
    """The newest version this app made from this very image (same id, same fingerprint) that
    is, or may still become, Succeeded.

    A version made from an earlier image of the same name does not count: deleting the image on
    the strength of it would lose the new image's disks.
    """
    mine = [
        v
        for v in existing
        if same_id(v.source, image.source)
        and image.fingerprint
        and v.fingerprint == image.fingerprint
        and v.provisioning_state.lower() in LIVE_VERSION_STATES
    ]
    return max(mine, key=lambda v: parse_version(v.name) or (0, 0, 0)) if mine else None


def _choose_version(
    spec: ImageSpec,
    image: ImagePlan,
    existing: list[VersionFacts],
    taken: set[str],
    migration_id: str | None,
) -> None:
    """Adopt a live version already made from this image, or pick a free version name."""
    if (version := _made_from(existing, image)) is not None:
        owner = version.tags_get(TAG_MIGRATION)
        if version.provisioning_state.lower() != "succeeded" and owner and owner != migration_id:
            # Another migration is still making it: adopting it would let two migrations
            # decide about one image.
            image.problems.append(
                f"Version {version.name} of this image is still being made by migration {owner}."
            )
            return
        if spec.version and spec.version != version.name:
            image.problems.append(
                f"This image already feeds version {version.name}; asked for {spec.version}."
            )
            return
        missing = {t.name for t in image.target_regions} - {
            normalize_region(t.name) for t in version.target_regions
        }
        if missing and version.target_regions:
            image.problems.append(
                f"Version {version.name} from this image already exists without regions "
                f"{', '.join(sorted(missing))}; add them to it or delete it first."
            )
            return
        image.version = version.name
        image.adopt = True
        image.target_regions = version.target_regions or image.target_regions
        image.notes.append(f"version {version.name} already exists from this image; reusing it")
        return
    if spec.version:
        if spec.version in taken:
            holder = next((v for v in existing if v.name == spec.version), None)
            whose = f" (from {holder.source})" if holder and holder.source else ""
            image.problems.append(f"Version {spec.version} is already taken{whose}.")
            return
        image.version = spec.version
    else:
        image.version = next_free_version(taken)
    taken.add(image.version)
