"""Image versions: start one (never waiting for replication), read its replication, protect it.

Each function is safe to run more than once (activities are at-least-once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import models

from migration.arm import shapes
from migration.arm.client import compute_client
from migration.arm.errors import ArmError, arm_errors
from migration.arm.quota import ContextPool
from migration.arm.retry import CACHE_LAG_WAIT
from migration.domain.facts import TAG_MIGRATION, VersionFacts
from migration.domain.ids import parse_gallery_id, same_id
from migration.domain.plan import ImagePlan
from migration.durable.outcome import capture

REPLICATION_STATUS = "ReplicationStatus"
# ARM reads run side by side; a few at a time keeps well inside the read budget.
PARALLEL_READS = 8


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
    with ContextPool(max_workers=PARALLEL_READS) as pool:
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


def block_deletion(
    gallery_id: str, definition: str, version: str, end_of_life: datetime | None = None
) -> None:
    """Block the version's deletion before its end of life (its source is about to go).

    A re-PUT of the version as it is, with ``safetyProfile.blockDeletionBeforeEndOfLife``
    changed; a version already blocked is left alone. A version with no end of life (one made
    at an older api-version, adopted) is given ``end_of_life``: since api-version 2026-03-03 an
    update that states none gets six months from the version's published date, and with none
    to give it is refused rather than left to that default.
    """
    gallery = parse_gallery_id(gallery_id)
    client = compute_client(gallery.subscription)
    action = f"blocking the deletion of version {definition}/{version}"
    with arm_errors(action):
        found = client.gallery_image_versions.get(
            gallery.resource_group, gallery.name, definition, version
        )
        body = found.as_dict()
        properties = body.setdefault("properties", {})
        safety = properties.setdefault("safetyProfile", {})
        if safety.get("blockDeletionBeforeEndOfLife"):
            return
        publishing = properties.setdefault("publishingProfile", {})
        if not publishing.get("endOfLifeDate"):
            if end_of_life is None:
                raise ArmError(
                    f"{action}: it has no end of life and none was planned for it (Azure would "
                    "give it six months from its published date)",
                    code="EndOfLifeMissing",
                )
            publishing["endOfLifeDate"] = shapes.timestamp(end_of_life)
        safety.update(shapes.safety_profile(block_deletion=True))
        client.gallery_image_versions.begin_create_or_update(
            gallery.resource_group,
            gallery.name,
            definition,
            version,
            models.GalleryImageVersion(shapes.writable_version(body)),
            polling=False,
        )


def _parent_missing(error: ResourceNotFoundError) -> bool:
    code = error.error.code if error.error is not None else ""
    return (code or "").lower() == "parentresourcenotfound"
