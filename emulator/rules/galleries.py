"""Gallery rules: what a gallery's PUT may say (its name is in ``rules.names``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator import bodies
from emulator.regions import Region
from emulator.rules.common import check_location, sent_properties

GALLERY_TYPE = "Microsoft.Compute/galleries"


@dataclass(frozen=True)
class GallerySpec:
    location: Region
    tags: dict[str, str]
    #: What the client sent under ``properties``, less what Azure fills in itself.
    properties: dict[str, Any]


def gallery_spec(body: bodies.GalleryBody, raw: dict[str, Any]) -> GallerySpec:
    return GallerySpec(
        location=check_location(body.location, GALLERY_TYPE),
        tags=dict(body.tags or {}),
        properties=sent_properties(raw, "provisioningState", "identifier", "sharingStatus"),
    )
