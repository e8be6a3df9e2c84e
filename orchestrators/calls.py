"""Fanning out ARM activities, waiting on durable timers when ARM says to come back later."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm import retry
from migration.domain.budget import Kind
from migration.durable.outcome import Outcome
from orchestrators import pacing

Call = tuple[str, Any]
Steps = Generator[Any, Any, Any]
# An event to raise on another instance: (instance id, event name, payload).
Event = tuple[str, str, Any]


def call_all(
    context: df.DurableOrchestrationContext,
    calls: Sequence[Call],
    budget: dict[str, Any] | None = None,
) -> Generator[Any, Any, list[Outcome]]:
    """Run ``calls`` (activity name, input) in parallel; return an :class:`Outcome` for each.

    With ``budget`` (an orchestration's ``Options.buckets``), what the calls will cost is first
    reserved in ARM's shared buckets (``orchestrators.pacing``), in chunks a bucket can take at
    once, and a throttled call holds its bucket for everyone until ARM's wait has passed.
    Calls whose outcome carries ``retryAfter`` (throttling, cache lag, a transient fault) are
    run again, all together, after a durable timer for the longest wait asked for: the
    orchestration sleeps for free instead of an activity holding a worker.
    """
    outcomes: list[Outcome | None] = [None] * len(calls)
    attempts = [0] * len(calls)
    pending = list(range(len(calls)))
    while pending:
        results: list[Any] = []
        for chunk in (
            pacing.chunks([calls[i] for i in pending]) if budget else [list(range(len(pending)))]
        ):
            indexes = [pending[n] for n in chunk]
            if budget:
                yield from pacing.reserve(context, [calls[i] for i in indexes], budget)
            tasks = [context.call_activity(calls[i][0], calls[i][1]) for i in indexes]
            results.extend(zip(indexes, (yield from _each_settled(context, tasks)), strict=True))
        again: list[int] = []
        wait = 0.0
        for index, raw in sorted(results):
            outcome = Outcome.from_json(raw)
            if budget and outcome.throttled and outcome.retry_after is not None:
                _report(context, calls[index], outcome)
            outcomes[index] = outcome
            attempts[index] += 1
            limit = retry.attempts_allowed(throttled=outcome.throttled)
            if not outcome.ok and outcome.retry_after is not None and attempts[index] < limit:
                again.append(index)
                asked = retry.wait_before_retry(
                    outcome.retry_after, attempts[index], throttled=outcome.throttled
                )
                wait = max(wait, asked)
        if again:
            yield context.create_timer(context.current_utc_datetime + timedelta(seconds=wait))
        pending = again
    return [outcome for outcome in outcomes if outcome is not None]


def _report(context: df.DurableOrchestrationContext, call: Call, outcome: Outcome) -> None:
    priced = pacing.cost_of(*call)
    if priced is None:
        return
    until = context.current_utc_datetime + timedelta(seconds=outcome.retry_after or 0)
    kind = Kind(outcome.throttled_kind or "reads")
    pacing.report_throttled(context, priced[0], kind, until)


def _each_settled(context: df.DurableOrchestrationContext, tasks: list[Any]) -> Any:
    """Every task's result; one that raised becomes a failed outcome instead of sinking the rest.

    task_all fails fast on the first failure, so after one the tasks are awaited one by one
    (yielding a finished task again just returns its value).
    """
    try:
        return (yield context.task_all(tasks))
    except Exception:  # any activity failure reaches the orchestrator as a plain Exception
        results = []
        for task in tasks:
            try:
                results.append((yield task))
            except Exception as error:
                # The failure text ends with the worker's stack trace: keep its first line, and
                # try again later (the host, a token, a timeout may be what failed).
                reason = (str(error).strip().splitlines() or ["the activity failed"])[0]
                failure = Outcome.failure(
                    "ActivityFailed", reason, retry_after=retry.TRANSIENT_WAIT
                )
                results.append(failure.to_json())
        return results


def send_events(context: df.DurableOrchestrationContext, events: Sequence[Event]) -> Steps:
    """Raise events on other instances (an orchestration cannot raise one itself): through an
    activity, which may run more than once, so receivers take an event twice without harm."""
    if events:
        payload = [{"instance": i, "name": n, "payload": p} for i, n, p in events]
        yield from call_all(context, [(names.SEND_EVENTS, payload)])
