"""Names and identifiers derived from a managed image when the request leaves them out."""

from __future__ import annotations

import re

from migration.domain import rules
from migration.domain.facts import Identifier, ImageFacts
from migration.domain.ids import parse_image_id

_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_DEFINITION_NAME = 80


def definition_name_for(image_name: str) -> str:
    """A valid definition name as close to the image's name as the rules allow."""
    name = _NOT_NAME_CHAR.sub("-", image_name)
    name = name.lstrip("_.-")[:_MAX_DEFINITION_NAME].rstrip(".-")
    return name or "image"


def identifier_part(value: str, part: str) -> str:
    """``value`` made a valid identifier part (publisher, offer or sku)."""
    limit = rules.IDENTIFIER_LIMITS[part]
    cleaned = _NOT_NAME_CHAR.sub("-", value)[:limit].rstrip(".")
    return cleaned or part


def derive_identifier(
    *,
    definition_name: str,
    image: ImageFacts,
    publisher: str | None,
    offer: str | None,
    sku: str | None,
    default_publisher: str | None,
) -> Identifier:
    """Fill in the identifier parts the request did not give.

    The offer defaults to the definition's name, which is unique in a gallery, so a derived
    identifier does not collide with another definition's.
    """
    resource_group = parse_image_id(image.id).resource_group
    generation = image.hyper_v_generation.lower() or "v1"
    return Identifier(
        publisher=publisher or identifier_part(default_publisher or resource_group, "publisher"),
        offer=offer or identifier_part(definition_name, "offer"),
        sku=sku or identifier_part(f"{image.os_type.lower() or 'os'}-{generation}", "sku"),
    )
