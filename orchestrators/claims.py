"""The claim on a source image: one instance per source, with an id derived from the source.

Starting it is how a migration takes a source; Durable refuses to start an instance whose id is
running, so two migrations of one managed image can never hold it at once. It ends when the
holder releases it (or a starter finds the holder gone and releases it by force).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from migration.durable.jobs import CLAIM_ORCHESTRATOR, RELEASE_EVENT, decoded

bp = df.Blueprint()


@bp.orchestration_trigger(context_name="context", orchestration=CLAIM_ORCHESTRATOR)
def hold_source(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    holder = context.get_input() or {}
    context.set_custom_status({"migrationId": holder.get("migrationId")})
    while True:
        release = decoded((yield context.wait_for_external_event(RELEASE_EVENT)))
        release = release if isinstance(release, dict) else {}
        # A late release from an earlier holder must not free a claim someone else now holds.
        if release.get("force") or release.get("migrationId") == holder.get("migrationId"):
            return {"migrationId": holder.get("migrationId"), "forced": bool(release.get("force"))}
