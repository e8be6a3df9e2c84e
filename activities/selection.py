"""Selecting by scope: one page of a scope's managed images, filtered; claiming what it took."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm.images import list_images_page
from migration.domain.ids import parse_scope
from migration.domain.request import SelectionFilters
from migration.domain.selection import matches
from migration.durable import claims
from migration.durable.outcome import Outcome, capture

bp = df.Blueprint()


@bp.activity_trigger(input_name="payload", activity=names.SELECT_IMAGES)
def select_images(payload: dict[str, Any]) -> dict[str, Any]:
    """The ids of the images on one page of a scope that the filters take, and the next page."""
    scope = parse_scope(payload["scope"])
    filters = SelectionFilters.model_validate(payload.get("filters") or {})

    def page() -> dict[str, Any]:
        images, token = list_images_page(scope, payload.get("token"))
        return {
            "listed": len(images),
            "selected": [image.id for image in images if matches(image, filters)],
            "next": token,
        }

    return capture(page)


@bp.activity_trigger(input_name="payload", activity=names.TAKE_CLAIMS)
@bp.durable_client_input(client_name="client")
async def take_claims(payload: dict[str, Any], client: df.DurableOrchestrationClient) -> Any:
    """Claim each selected source that no other migration holds; say who holds the others."""
    taken, held = await claims.take_each(client, payload["migrationId"], payload["sources"])
    return Outcome(ok=True, value={"taken": taken, "held": held}).to_json()
