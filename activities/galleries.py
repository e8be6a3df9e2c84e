"""Galleries and image definitions: read what exists; create a definition that does not."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm import gallery
from migration.domain.plan import DefinitionPlan
from migration.durable.outcome import capture

bp = df.Blueprint()


@bp.activity_trigger(input_name="gallery_id", activity=names.INSPECT_GALLERY)
def inspect_gallery(gallery_id: str) -> dict[str, Any]:
    return capture(lambda: gallery.get_gallery(gallery_id).to_json())


@bp.activity_trigger(input_name="payload", activity=names.LIST_VERSIONS)
def list_versions(payload: dict[str, Any]) -> dict[str, Any]:
    return capture(
        lambda: [
            v.to_json() for v in gallery.list_versions(payload["gallery"], payload["definition"])
        ]
    )


@bp.activity_trigger(input_name="payload", activity=names.ENSURE_DEFINITION)
def ensure_definition(payload: dict[str, Any]) -> dict[str, Any]:
    plan = DefinitionPlan.from_json(payload["definition"])
    return capture(lambda: gallery.ensure_definition(payload["gallery"], plan, payload["location"]))
