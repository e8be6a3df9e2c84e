"""Galleries, image definitions and disk encryption sets: read them; create a definition.

Each function is safe to run more than once (activities are at-least-once).
"""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import models

from migration.arm import shapes
from migration.arm.client import compute_client
from migration.arm.errors import ArmError, arm_errors, read_or_none
from migration.arm.retry import CACHE_LAG_WAIT
from migration.domain.definitions import DefinitionPlan
from migration.domain.facts import DefinitionFacts, EncryptionSetFacts, GalleryFacts, VersionFacts
from migration.domain.ids import parse_disk_encryption_set_id, parse_gallery_id


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
    """A definition that appeared since planning (another migration made it) must be the one
    planned, security type included."""
    expected = (
        plan.os_type.lower(),
        plan.hyper_v_generation.upper(),
        plan.identifier.key(),
        plan.security_type,
    )
    actual = (
        found.os_type.lower(),
        found.hyper_v_generation.upper(),
        found.identifier.key(),
        found.effective_security_type,
    )
    if expected != actual:
        raise ArmError(
            f"Definition {plan.name} exists as {found.os_type} {found.hyper_v_generation} "
            f"{found.effective_security_type} {found.identifier}; the plan needs {plan.os_type} "
            f"{plan.hyper_v_generation} {plan.security_type} {plan.identifier}. It is left "
            "unchanged.",
            code="DefinitionIncompatible",
        )


def get_encryption_set(set_id: str) -> EncryptionSetFacts:
    """A disk encryption set a target region names: whether it exists, and where."""
    parsed = parse_disk_encryption_set_id(set_id)
    client = compute_client(parsed.subscription)
    found = read_or_none(
        f"reading disk encryption set {set_id}",
        lambda: client.disk_encryption_sets.get(parsed.resource_group, parsed.name),
    )
    if found is None:
        return EncryptionSetFacts(id=parsed.id, exists=False)
    return EncryptionSetFacts(id=parsed.id, location=found.location)
