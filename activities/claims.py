"""Releasing the claims a migration held, through ``migration.durable.claims``' one release path."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from migration.durable import claims

bp = df.Blueprint()


@bp.activity_trigger(input_name="payload", activity=names.RELEASE_CLAIMS)
@bp.durable_client_input(client_name="client")
async def release_claims(payload: dict[str, Any], client: df.DurableOrchestrationClient) -> int:
    # No waiting here: the host ends the claims right after this activity returns.
    return await claims.release(client, payload["migrationId"], payload["claims"], wait=False)
