"""Managed images: read one; delete one once a version of it proves the data is safe and
nothing known still needs it.

Each function is safe to run more than once (activities are at-least-once).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from migration.arm import shapes
from migration.arm.client import compute_client
from migration.arm.errors import ArmError, arm_errors, passing, read_or_none
from migration.arm.versions import block_deletion, get_version
from migration.domain.facts import ImageFacts, VersionFacts
from migration.domain.ids import Scope, parse_image_id
from migration.domain.safety import replication_complete


def get_image(source_id: str) -> ImageFacts:
    image = parse_image_id(source_id)
    client = compute_client(image.subscription)
    found = read_or_none(
        f"reading managed image {source_id}",
        lambda: client.images.get(image.resource_group, image.name),
    )
    if found is None:
        return ImageFacts(id=image.id, exists=False)
    return _facts(found.as_dict())


def _facts(resource: dict[str, Any]) -> ImageFacts:
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


def list_images_page(scope: Scope, token: str | None = None) -> tuple[list[ImageFacts], str | None]:
    """One page of the managed images in a subscription or resource group, and the token of the
    next page (``None`` after the last): a whole subscription may take many calls to list."""
    client = compute_client(scope.subscription)
    with arm_errors(f"listing the managed images of {scope}"):
        listing = (
            client.images.list_by_resource_group(scope.resource_group)
            if scope.resource_group
            else client.images.list()
        )
        pages: Any = listing.by_page(continuation_token=token)
        page = next(pages, None)
        found = [_facts(image.as_dict()) for image in page or []]
        # azure-core's pager keeps the next link (ARM's nextLink) as its continuation token.
        return found, pages.continuation_token if page is not None else None


def scale_sets_by_image(subscription: str) -> dict[str, list[str]]:
    """The scale sets of a subscription that reference a managed image, by image id (lower case).

    A scale set needs its image to scale out and to reimage, so a referenced image is still in
    use (its running VMs are not affected by a delete).
    """
    client = compute_client(subscription)
    found: dict[str, list[str]] = {}
    with arm_errors(f"listing the scale sets of subscription {subscription}"):
        for scale_set in client.virtual_machine_scale_sets.list_all():
            image = shapes.scale_set_image(scale_set.as_dict())
            if image:
                found.setdefault(image.lower(), []).append(str(scale_set.id))
    return found


def delete_source(
    source_id: str,
    gallery_id: str,
    definition: str,
    version: str,
    *,
    delete_in_use: bool = False,
    block_version: bool = False,
    end_of_life: datetime | None = None,
) -> str:
    """Delete the managed image if, right now, a version made from it is Completed everywhere
    and no scale set references it (unless ``delete_in_use``).

    "Made from it" means the version's source is this image's id and the fingerprint the version
    was tagged with when it was made is this image's fingerprint now: an image deleted and
    re-created under the same id since is a different image, and is kept; the image is read
    again right before the delete is sent, so that one re-captured while the scale sets were
    listed is kept too. A scale-set listing that fails keeps the image. With
    ``block_version``, the version's deletion is blocked before its end of life just before
    the source goes, as it becomes the only copy (a version with no end of life is given
    ``end_of_life`` then).

    Returns ``"deleting"`` (the delete was accepted), ``"gone"`` (the image no longer exists) or
    raises :class:`ArmError` with the reason it was kept.
    """
    facts = get_version(gallery_id, definition, version)
    if (reason := replication_complete(facts, source_id)) is not None:
        raise ArmError(f"kept {source_id}: {reason}", code="NotSafeToDelete")
    if not _copied_by(facts, source_id, version):
        if block_version:
            # It is the only copy now.
            block_deletion(gallery_id, definition, version, end_of_life)
        return "gone"
    source = parse_image_id(source_id)
    if not delete_in_use:
        users = _scale_sets_using(source.subscription, source_id)
        if users:
            raise ArmError(
                f"kept {source_id}: scale sets still use it to scale out and reimage: "
                + ", ".join(users),
                code="SourceInUse",
            )
    if block_version:
        block_deletion(gallery_id, definition, version, end_of_life)
    # Read again right before the delete: an image re-captured under this id while the checks
    # above ran (listing scale sets takes a while) is another image, that no version holds.
    if not _copied_by(facts, source_id, version):
        return "gone"
    client = compute_client(source.subscription)
    with arm_errors(f"deleting managed image {source_id}"):
        try:
            client.images.begin_delete(source.resource_group, source.name, polling=False)
        except ResourceNotFoundError:
            return "gone"
    return "deleting"


def _copied_by(facts: VersionFacts, source_id: str, version: str) -> bool:
    """Whether the image exists and is the one the version was made from (its fingerprint);
    ``False`` when it is gone; raises when it is another image now."""
    image = get_image(source_id)
    if not image.exists:
        return False
    if not facts.fingerprint or image.fingerprint != facts.fingerprint:
        raise ArmError(
            f"kept {source_id}: it is not the image version {version} was made from "
            "(it was re-written or re-created since)",
            code="SourceChanged",
        )
    return True


def _scale_sets_using(subscription: str, source_id: str) -> list[str]:
    try:
        return scale_sets_by_image(subscription).get(source_id.lower(), [])
    except ArmError as error:
        if passing(error):
            raise  # passing: the orchestration tries again later
        raise ArmError(
            f"kept {source_id}: could not tell whether a scale set uses it ({error.message})",
            code="SourceUseUnknown",
        ) from error
