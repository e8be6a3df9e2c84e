"""Which images a migration takes, and how it splits them into batches.

A request names images, or scopes (subscriptions, resource groups) with filters, or both. The
orchestration lists each scope page by page (listing a subscription can outlast an HTTP
request), keeps the images :func:`matches` takes, and splits everything into batches
(:func:`batches`), each run by a sub-orchestration of its own so that no instance's history or
custom status grows with the size of the fleet.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from collections.abc import Sequence

from pydantic import Field, ValidationError

from migration.domain.facts import Data, ImageFacts
from migration.domain.ids import parse_image_id
from migration.domain.naming import definition_name_for
from migration.domain.request import ImageSpec, SelectionFilters
from migration.domain.rules import normalize_region

# Images per batch. A batch's history holds a few events per image (its version's start, its
# deletion) besides a fixed number of its own, so this bounds every batch's history, while the
# migration's own history grows by a few events per batch only (see the README's Limits).
BATCH_SIZE = 20


def matches(image: ImageFacts, filters: SelectionFilters) -> bool:
    """Whether a listed image is one the filters take (every filter given must hold)."""
    if filters.name_pattern and not fnmatch.fnmatchcase(
        image.name.lower(), filters.name_pattern.lower()
    ):
        return False
    if filters.os_type and image.os_type.lower() != filters.os_type.lower():
        return False
    if filters.hyper_v_generation and (
        (image.hyper_v_generation or "V1").upper() != filters.hyper_v_generation
    ):
        return False
    if filters.locations and normalize_region(image.location) not in filters.locations:
        return False
    tags = {k.lower(): v for k, v in image.tags.items()}
    for name, value in filters.tags.items():
        found = tags.get(name.lower())
        if found is None or (value is not None and found.lower() != value.lower()):
            return False
    return True


class Cursor(Data):
    """Where a paged selection stands: the scope (by its place in the request), ARM's token for
    the page of it being read, and how many of that page's images were already taken."""

    scope: int = 0
    token: str | None = None
    offset: int = 0

    def encode(self) -> str:
        text = json.dumps(self.to_json(), separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        """The cursor a continuation token holds, or ``None`` for one this app did not write."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            cursor = cls.model_validate_json(raw, strict=True)
        except (binascii.Error, ValueError, ValidationError):
            return None
        return cursor if cursor.scope >= 0 and cursor.offset >= 0 else None


def definition_group(spec: ImageSpec) -> str:
    """The definition an image goes to, as far as the request alone tells (lower case)."""
    return (spec.definition.name or definition_name_for(parse_image_id(spec.source).name)).lower()


class Batch(Data):
    """A share of a migration's images, run by one sub-orchestration.

    ``wave`` orders batches that share a definition: each definition is created by the first
    batch of its images; a later batch of the same definition starts once the earlier one has
    created it and started its versions (so version numbers never collide).
    """

    index: int
    images: list[ImageSpec]
    # Positions of these images in the whole migration (for the paged image list).
    positions: list[int]
    wave: int = 0
    after: int | None = Field(default=None, description="the batch this one waits for")


def batches(images: Sequence[ImageSpec], size: int) -> list[Batch]:
    """Split ``images`` into batches of at most ``size``, keeping each definition's images
    together where they fit, in a stable order."""
    groups: dict[str, list[int]] = {}
    for position, spec in enumerate(images):
        groups.setdefault(definition_group(spec), []).append(position)
    found: list[Batch] = []
    current: list[int] = []

    def close(wave: int = 0, after: int | None = None) -> None:
        if current:
            found.append(
                Batch(
                    index=len(found),
                    images=[images[p] for p in current],
                    positions=list(current),
                    wave=wave,
                    after=after,
                )
            )
            current.clear()

    for positions in groups.values():
        if len(positions) > size:
            # A definition with more images than a batch holds: chunks that follow each other.
            close()
            previous: int | None = None
            for start in range(0, len(positions), size):
                current.extend(positions[start : start + size])
                close(wave=start // size, after=previous)
                previous = len(found) - 1
            continue
        if len(current) + len(positions) > size:
            close()
        current.extend(positions)
    close()
    return found
