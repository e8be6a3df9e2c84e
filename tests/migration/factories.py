"""Small builders for domain tests: ids, facts and requests with sensible defaults."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from migration.config.settings import Settings
from migration.domain.facts import (
    TAG_FINGERPRINT,
    DefinitionFacts,
    GalleryFacts,
    Identifier,
    ImageFacts,
    VersionFacts,
)
from migration.domain.request import MigrationRequest
from migration.domain.validation import RequestLimits, parse_request
from migration.durable.jobs import Options

SUB = "00000000-0000-0000-0000-000000000001"
GALLERY = (
    f"/subscriptions/{SUB}/resourceGroups/gallery-rg/providers/Microsoft.Compute/galleries/gal"
)


def image_id(name: str, rg: str = "images-rg") -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/Microsoft.Compute/images/{name}"


def image(name: str = "web", **overrides: Any) -> ImageFacts:
    values: dict[str, Any] = {
        "id": image_id(name),
        "name": name,
        "location": "eastus",
        "provisioning_state": "Succeeded",
        "os_type": "Linux",
        "os_state": "Generalized",
        "hyper_v_generation": "V2",
        "os_disk_gb": 30,
        "fingerprint": f"fp-{name}",
    }
    values.update(overrides)
    return ImageFacts(**values)


def definition(name: str, **overrides: Any) -> DefinitionFacts:
    values: dict[str, Any] = {
        "name": name,
        "os_type": "Linux",
        "os_state": "Generalized",
        "hyper_v_generation": "V2",
        "identifier": Identifier(publisher="images-rg", offer=name, sku="linux-v2"),
        "provisioning_state": "Succeeded",
    }
    values.update(overrides)
    return DefinitionFacts(**values)


def gallery(*definitions: DefinitionFacts, exists: bool = True) -> GalleryFacts:
    return GalleryFacts(id=GALLERY, location="eastus", exists=exists, definitions=list(definitions))


def version(
    definition_name: str,
    name: str,
    source: str,
    state: str = "Succeeded",
    fingerprint: str | None = None,
) -> VersionFacts:
    """A version this app made from ``source`` (tagged with the image factory's fingerprint)."""
    image_name = source.rstrip("/").rsplit("/", 1)[-1].lower()
    return VersionFacts(
        definition=definition_name,
        name=name,
        source=source,
        provisioning_state=state,
        tags={TAG_FINGERPRINT: fingerprint if fingerprint is not None else f"fp-{image_name}"},
    )


def request_body(*sources: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "gallery": GALLERY,
        "images": [{"source": s} for s in (sources or (image_id("web"),))],
    }
    body.update(fields)
    return body


NOW = datetime(2026, 11, 22, tzinfo=UTC)


def limits(**overrides: Any) -> RequestLimits:
    """The default settings' limits for a request received at ``NOW``, with ``overrides``."""
    return dataclasses.replace(Settings().request_limits(NOW), **overrides)


def parse(body: Any, **overrides: Any) -> MigrationRequest:
    return parse_request(body, limits(**overrides))


def options(**overrides: Any) -> Options:
    """A migration's options under the default settings, with ``overrides``."""
    built = Options.from_settings(Settings(), parse(request_body()))
    return built.model_copy(update=overrides)
