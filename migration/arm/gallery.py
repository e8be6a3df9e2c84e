"""The ARM calls a migration makes, through the one client factory in ``migration.arm.client``.

Each function is safe to run more than once (activities are at-least-once) and none of them waits
for replication: a version PUT is started and left to run, and its progress is read later.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import models

from migration.arm import shapes
from migration.arm.client import compute_client
from migration.arm.errors import ArmError, arm_errors, read_or_none
from migration.arm.retry import CACHE_LAG_WAIT
from migration.domain.facts import (
    TAG_MIGRATION,
    DefinitionFacts,
    GalleryFacts,
    ImageFacts,
    VersionFacts,
)
from migration.domain.ids import parse_gallery_id, parse_image_id, same_id
from migration.domain.plan import DefinitionPlan, ImagePlan
from migration.domain.safety import replication_complete
from migration.durable.outcome import capture

REPLICATION_STATUS = "ReplicationStatus"
# ARM reads run side by side; a few at a time keeps well inside the read budget.
PARALLEL_READS = 8


def get_image(source_id: str) -> ImageFacts:
    image = parse_image_id(source_id)
    client = compute_client(image.subscription)
    found = read_or_none(
        f"reading managed image {source_id}",
        lambda: client.images.get(image.resource_group, image.name),
    )
    if found is None:
        return ImageFacts(id=image.id, exists=False)
    resource = found.as_dict()
    facts = shapes.image_facts(resource)
    return facts.model_copy(update={"fingerprint": image_fingerprint(resource)})


def image_fingerprint(resource: dict[str, Any]) -> str:
    """What the image is made of; a re-written image with other disks gets another fingerprint."""
    props = resource.get("properties") or {}
    made_of = {
        "storageProfile": props.get("storageProfile"),
        "sourceVirtualMachine": props.get("sourceVirtualMachine"),
    }
    canonical = json.dumps(made_of, sort_keys=True, separators=(",", ":")).lower()
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def get_gallery(gallery_id: str) -> GalleryFacts:
    gallery = parse_gallery_id(gallery_id)
    client = compute_client(gallery.subscription)
    action = f"reading gallery {gallery_id}"
    found = read_or_none(action, lambda: client.galleries.get(gallery.resource_group, gallery.name))
    if found is None:
        return GalleryFacts(id=gallery.id, exists=False)
    with arm_errors(action):
        definitions = [
            shapes.definition_facts(d.as_dict())
            for d in client.gallery_images.list_by_gallery(gallery.resource_group, gallery.name)
        ]
    return GalleryFacts(id=gallery.id, location=found.location, definitions=definitions)


def list_versions(gallery_id: str, definition: str) -> list[VersionFacts]:
    gallery = parse_gallery_id(gallery_id)
    client = compute_client(gallery.subscription)
    with arm_errors(f"listing versions of {definition}"):
        try:
            pages = client.gallery_image_versions.list_by_gallery_image(
                gallery.resource_group, gallery.name, definition
            )
            return [shapes.version_facts(definition, v.as_dict()) for v in pages]
        except ResourceNotFoundError:
            return []


def ensure_definition(gallery_id: str, plan: DefinitionPlan, location: str) -> str:
    """Create the definition, or confirm that an existing one matches; return what happened.

    An existing definition that does not match is never changed (Azure refuses most changes,
    and changing one would alter what other versions promise).
    """
    gallery = parse_gallery_id(gallery_id)
    client = compute_client(gallery.subscription)
    action = f"creating definition {plan.name}"
    with arm_errors(action):
        try:
            found = client.gallery_images.get(gallery.resource_group, gallery.name, plan.name)
        except ResourceNotFoundError:
            found = None
        if found is not None:
            _check_definition(shapes.definition_facts(found.as_dict()), plan)
            return "reused"
        poller = client.gallery_images.begin_create_or_update(
            gallery.resource_group,
            gallery.name,
            plan.name,
            models.GalleryImage(shapes.definition_body(plan, location)),
        )
        try:
            created = poller.result()
        except HttpResponseError as error:
            if error.status_code != 404:
                raise
            # The poller's final GET can miss a definition ARM has only just created; the next
            # attempt finds it and checks it like any existing one.
            raise ArmError(
                f"{action}: created, but not visible yet",
                status=404,
                code="ResourceNotFound",
                retry_after=CACHE_LAG_WAIT,
            ) from error
    state = shapes.definition_facts(created.as_dict()).provisioning_state
    if state and state.lower() != "succeeded":
        raise ArmError(f"{action}: it ended in state {state}", code="DefinitionNotSucceeded")
    return "created"


def _check_definition(found: DefinitionFacts, plan: DefinitionPlan) -> None:
    expected = (plan.os_type.lower(), plan.hyper_v_generation.upper(), plan.identifier.key())
    actual = (found.os_type.lower(), found.hyper_v_generation.upper(), found.identifier.key())
    if expected != actual:
        raise ArmError(
            f"Definition {plan.name} exists as {found.os_type} {found.hyper_v_generation} "
            f"{found.identifier}; the plan needs {plan.os_type} {plan.hyper_v_generation} "
            f"{plan.identifier}. It is left unchanged.",
            code="DefinitionIncompatible",
        )


def start_version(gallery_id: str, image: ImagePlan, migration_id: str) -> VersionFacts:
    """Start the version PUT and return at once; replication is read with :func:`get_version`.

    If the version already exists from this same image (an earlier attempt of this activity,
    or an adopted version), that version is returned instead of sending a second PUT.
    """
    if image.definition is None or image.version is None:
        raise ValueError("start_version needs a planned definition and version")
    gallery = parse_gallery_id(gallery_id)
    client = compute_client(gallery.subscription)
    definition, version = image.definition.name, image.version
    action = f"starting version {definition}/{version}"
    with arm_errors(action):
        try:
            found = client.gallery_image_versions.get(
                gallery.resource_group, gallery.name, definition, version
            )
        except ResourceNotFoundError as error:
            if _parent_missing(error):
                raise ArmError(
                    f"{action}: definition {definition} is not visible yet",
                    status=404,
                    code="ParentResourceNotFound",
                    retry_after=CACHE_LAG_WAIT,
                ) from error
            found = None
        if found is not None:
            facts = shapes.version_facts(definition, found.as_dict())
            if not same_id(facts.source, image.source):
                raise ArmError(
                    f"{action}: version {version} already exists from {facts.source}",
                    status=409,
                    code="VersionTaken",
                )
            owner = facts.tags_get(TAG_MIGRATION)
            if not image.adopt and owner != migration_id:
                # Not adopted by the plan and not made by an earlier run of this activity:
                # another migration made it meanwhile, and this one must not take it over.
                raise ArmError(
                    f"{action}: version {version} was made meanwhile by migration "
                    f"{owner or 'unknown'}",
                    status=409,
                    code="VersionTaken",
                )
            return facts
        try:
            # polling=False: an LROPoller would start a thread that polls until replication ends.
            client.gallery_image_versions.begin_create_or_update(
                gallery.resource_group,
                gallery.name,
                definition,
                version,
                models.GalleryImageVersion(shapes.version_body(image, migration_id)),
                polling=False,
            )
        except ResourceNotFoundError as error:
            raise ArmError(
                f"{action}: {error.message}",
                status=404,
                code="ParentResourceNotFound",
                retry_after=CACHE_LAG_WAIT,
            ) from error
    return VersionFacts(
        definition=definition,
        name=version,
        source=image.source,
        provisioning_state="Creating",
        target_regions=image.target_regions,
    )


def get_versions(gallery_id: str, wanted: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each (definition, version)'s facts, read side by side, as an outcome of its own.

    One failed read (throttled, say) is that version's outcome, not the whole batch's.
    """
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        return list(
            pool.map(lambda item: capture(lambda: get_version(gallery_id, *item).to_json()), wanted)
        )


def get_version(gallery_id: str, definition: str, version: str) -> VersionFacts:
    gallery = parse_gallery_id(gallery_id)
    client = compute_client(gallery.subscription)
    with arm_errors(f"reading version {definition}/{version}"):
        try:
            found = client.gallery_image_versions.get(
                gallery.resource_group,
                gallery.name,
                definition,
                version,
                expand=REPLICATION_STATUS,
            )
        except ResourceNotFoundError:
            return VersionFacts(definition=definition, name=version, exists=False)
    return shapes.version_facts(definition, found.as_dict())


def delete_source(source_id: str, gallery_id: str, definition: str, version: str) -> str:
    """Delete the managed image if, right now, a version made from it is Completed everywhere.

    "Made from it" means the version's source is this image's id and the fingerprint the version
    was tagged with when it was made is this image's fingerprint now: an image deleted and
    re-created under the same id since is a different image, and is kept.

    Returns ``"deleting"`` (the delete was accepted), ``"gone"`` (the image no longer exists) or
    raises :class:`ArmError` with the reason it was kept.
    """
    facts = get_version(gallery_id, definition, version)
    if (reason := replication_complete(facts, source_id)) is not None:
        raise ArmError(f"kept {source_id}: {reason}", code="NotSafeToDelete")
    image = get_image(source_id)
    if not image.exists:
        return "gone"
    if not facts.fingerprint or image.fingerprint != facts.fingerprint:
        raise ArmError(
            f"kept {source_id}: it is not the image version {version} was made from "
            "(it was re-written or re-created since)",
            code="SourceChanged",
        )
    source = parse_image_id(source_id)
    client = compute_client(source.subscription)
    with arm_errors(f"deleting managed image {source_id}"):
        try:
            client.images.begin_delete(source.resource_group, source.name, polling=False)
        except ResourceNotFoundError:
            return "gone"
    return "deleting"


def _parent_missing(error: ResourceNotFoundError) -> bool:
    code = error.error.code if error.error is not None else ""
    return (code or "").lower() == "parentresourcenotfound"
