"""Releasing the per-source claims a migration held, so the next migration of a source may start."""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.durable.jobs import RELEASE_EVENT

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.activity_trigger(input_name="payload", activity=names.RELEASE_CLAIMS)
@bp.durable_client_input(client_name="client")
async def release_claims(payload: dict[str, Any], client: df.DurableOrchestrationClient) -> int:
    released = 0
    for claim in payload["claims"]:
        try:
            await client.raise_event(claim, RELEASE_EVENT, {"migrationId": payload["migrationId"]})
            released += 1
        except Exception as error:
            log.info("claim %s not released (%s); it has ended already", claim, error)
    return released
