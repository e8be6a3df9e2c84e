"""Registers the claim on a source image, and runs a migration's work so that its claims are
given back however it ends; the protocol lives in ``migration.durable.claims``."""

from __future__ import annotations

from typing import Protocol

import azure.durable_functions as df

from migration.durable import claims
from orchestrators.calls import Steps

bp = df.Blueprint()

hold_source = bp.orchestration_trigger(
    context_name="context", orchestration=claims.CLAIM_ORCHESTRATOR
)(claims.hold_source)


class ClaimHolder(Protocol):
    def execute(self) -> Steps: ...

    def release_claims(self) -> Steps: ...


def releasing_claims(run: ClaimHolder) -> Steps:
    """``run.execute()``, then its claims released, whether it returned or raised.

    Not try/finally: a replay that runs out of history closes the generator, and a finally that
    yields would then break it. GeneratorExit is not an Exception, so it passes by."""
    try:
        result = yield from run.execute()
    except Exception:
        yield from run.release_claims()
        raise
    yield from run.release_claims()
    return result
