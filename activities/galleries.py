"""Galleries and image definitions: inspect a request; create a definition that does not exist."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm import galleries
from migration.arm.inspection import inspect
from migration.domain.definitions import DefinitionPlan
from migration.domain.facts import Inspection
from migration.domain.request import MigrationRequest
from migration.durable.outcome import capture

bp = df.Blueprint()


@bp.activity_trigger(input_name="payload", activity=names.INSPECT)
def inspect_request(payload: dict[str, Any]) -> dict[str, Any]:
    """What planning needs that ``known`` lacks (the images, the gallery, their versions)."""
    request = MigrationRequest.model_validate(payload["request"])
    known = Inspection.from_json(payload["known"]) if payload.get("known") else None
    return capture(lambda: inspect(request, known).to_json())


@bp.activity_trigger(input_name="payload", activity=names.ENSURE_DEFINITION)
def ensure_definition(payload: dict[str, Any]) -> dict[str, Any]:
    plan = DefinitionPlan.from_json(payload["definition"])
    return capture(
        lambda: galleries.ensure_definition(payload["gallery"], plan, payload["location"])
    )
