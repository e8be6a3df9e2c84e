"""Names and identifiers: what a gallery, definition, version or managed image may be called.

Each ``check_*`` raises ARM's 400 ``InvalidParameter`` with Azure's text; the name rules follow
Azure's published naming rules (tests/emulator/test_names.py restates them independently).
"""

from __future__ import annotations

import re

from emulator import bodies
from emulator.errors import invalid_parameter, required_missing

MAX_INT32 = 2_147_483_647
_GALLERY_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.]{0,78}[A-Za-z0-9])?")
_DEFINITION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}(?<![.-])")
_VERSION_NAME = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")
_IMAGE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?")
_IDENTIFIER_PART = re.compile(r"[A-Za-z0-9._-]*[A-Za-z0-9_-]")
_IDENTIFIER_LIMITS = {"publisher": 128, "offer": 64, "sku": 64}


def check_gallery_name(name: str) -> None:
    if not _GALLERY_NAME.fullmatch(name):
        raise invalid_parameter(
            "Gallery name is invalid. Allowed characters are English alphanumeric characters, "
            "with underscores, and periods allowed in the middle, up to 80 characters total. "
            "All other special characters, including dashes, are disallowed.",
            target="galleryName",
        )


def check_definition_name(name: str) -> None:
    if not _DEFINITION_NAME.fullmatch(name):
        raise invalid_parameter(
            "The entity name 'galleryImageName' is invalid according to its validation rule: "
            r"^[^_\W][\w-._]{0,79}(?<![-.])$.",
            target="galleryImageName",
        )


def check_version_name(name: str) -> tuple[int, int, int]:
    """The three parts of a ``Major.Minor.Patch`` version name, each a 32-bit integer."""
    match = _VERSION_NAME.fullmatch(name)
    # Length first: int() of thousands of digits raises instead of comparing.
    if match is None or any(len(part) > 10 or int(part) > MAX_INT32 for part in match.groups()):
        raise invalid_parameter(
            "The image version name is invalid. The image version name should follow "
            "Major(int).Minor(int).Patch(int) format, for e.g: 1.0.0, 2018.12.1 etc.",
            target="galleryImageVersionName",
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def check_image_name(name: str) -> None:
    if not _IMAGE_NAME.fullmatch(name):
        raise invalid_parameter(
            f"The resource name '{name}' is invalid. It must be 1 to 80 characters of letters, "
            "digits, underscores, periods and hyphens, start with a letter or digit and end "
            "with a letter, digit or underscore.",
            target="imageName",
        )


def check_identifier(identifier: bodies.Identifier | None) -> tuple[str, str, str]:
    if identifier is None:
        raise required_missing("galleryImage.properties.identifier")
    parts: list[str] = []
    for part in ("publisher", "offer", "sku"):
        value = getattr(identifier, part) or ""
        limit = _IDENTIFIER_LIMITS[part]
        if not _IDENTIFIER_PART.fullmatch(value) or len(value) > limit:
            raise invalid_parameter(
                f"Asset name galleryImage.properties.identifier.{part} is not valid. It cannot "
                "be empty. Allowed characters are uppercase or lowercase letters, digits, "
                "hyphen(-), period (.), underscore (_). Names are not allowed to end with "
                f"period(.). The length of the name cannot exceed {limit} characters.",
                target=f"galleryImage.properties.identifier.{part}",
            )
        parts.append(value)
    return parts[0], parts[1], parts[2]
