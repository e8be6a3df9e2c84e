"""Registers the claim on a source image; the protocol lives in ``migration.durable.claims``."""

from __future__ import annotations

import azure.durable_functions as df

from migration.durable import claims

bp = df.Blueprint()

hold_source = bp.orchestration_trigger(
    context_name="context", orchestration=claims.CLAIM_ORCHESTRATOR
)(claims.hold_source)
