"""Fanning out ARM activities, waiting on durable timers when ARM says to come back later."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from migration.outcome import Outcome

# Attempts per call before an outcome that asks for a retry is accepted as final.
MAX_ATTEMPTS = 8

Call = tuple[str, Any]


def call_all(
    context: df.DurableOrchestrationContext, calls: Sequence[Call]
) -> Generator[Any, Any, list[Outcome]]:
    """Run ``calls`` (activity name, input) in parallel; return an :class:`Outcome` for each.

    Calls whose outcome carries ``retryAfter`` (throttling, cache lag, a transient fault) are
    run again, all together, after a durable timer for the longest wait asked for: the
    orchestration sleeps for free instead of an activity holding a worker.
    """
    outcomes: list[Outcome | None] = [None] * len(calls)
    pending = list(range(len(calls)))
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if not pending:
            break
        results = yield context.task_all(
            [context.call_activity(calls[i][0], calls[i][1]) for i in pending]
        )
        again: list[int] = []
        wait = 0.0
        for index, raw in zip(pending, results, strict=True):
            outcome = Outcome.from_json(raw)
            outcomes[index] = outcome
            if not outcome.ok and outcome.retry_after is not None and attempt < MAX_ATTEMPTS:
                again.append(index)
                wait = max(wait, outcome.retry_after)
        if again:
            yield context.create_timer(context.current_utc_datetime + timedelta(seconds=wait))
        pending = again
    return [outcome for outcome in outcomes if outcome is not None]


def call_one(
    context: df.DurableOrchestrationContext, name: str, payload: Any
) -> Generator[Any, Any, Outcome]:
    outcomes = yield from call_all(context, [(name, payload)])
    return outcomes[0]
