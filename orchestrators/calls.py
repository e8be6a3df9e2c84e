"""Fanning out ARM activities, waiting on durable timers when ARM says to come back later."""

from __future__ import annotations

import random
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
# An orchestrator or one of its steps: a generator the SDK drives (it yields tasks, is sent
# their results), for every module here to import.
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
    run again after a durable timer for the longest wait asked for: the orchestration sleeps
    for free instead of an activity holding a worker. After a throttled round the retries run
    half as many at a time (down to one), and every wait is stretched by a jitter drawn from the
    instance and the round, so that calls throttled together (this fan-out's, or another
    batch's) do not all come back at the same instant and collide again: ARM's advice is
    backoff with jitter, and on a virtual clock nothing else would break the lockstep.
    """
    outcomes: list[Outcome | None] = [None] * len(calls)
    attempts = [0] * len(calls)
    pending = list(range(len(calls)))
    width = max(1, len(calls))
    rounds = 0
    while pending:
        results: list[Any] = []
        for indexes in _groups(pending, calls, width, budget):
            if budget:
                yield from pacing.reserve(context, [calls[i] for i in indexes], budget)
            tasks = [context.call_activity(calls[i][0], calls[i][1]) for i in indexes]
            results.extend(zip(indexes, (yield from _each_settled(context, tasks)), strict=True))
        again: list[int] = []
        wait = 0.0
        throttled = False
        outcomes_now = [(index, Outcome.from_json(raw)) for index, raw in sorted(results)]
        if budget:
            pacing.report_remaining(context, [o for _, o in outcomes_now], budget)
            _report_throttled(context, [(calls[i], o) for i, o in outcomes_now], budget)
        for index, outcome in outcomes_now:
            throttled = throttled or outcome.throttled
            outcomes[index] = outcome
            attempts[index] += 1
            limit = retry.attempts_allowed(throttled=outcome.throttled)
            if not outcome.ok and outcome.retry_after is not None and attempts[index] < limit:
                again.append(index)
                asked = retry.wait_before_retry(
                    outcome.retry_after, attempts[index], throttled=outcome.throttled
                )
                wait = max(wait, asked)
        if throttled:
            width = max(1, width // 2)
        if again:
            rounds += 1
            wait *= random.Random(f"{context.instance_id}:{rounds}").uniform(
                1.0, 1.0 + retry.JITTER
            )
            yield context.create_timer(context.current_utc_datetime + timedelta(seconds=wait))
        pending = again
    return [outcome for outcome in outcomes if outcome is not None]


def _groups(
    pending: list[int], calls: Sequence[Call], width: int, budget: dict[str, Any] | None
) -> list[list[int]]:
    """``pending`` in the groups that run together: at most ``width`` calls, and each group
    within what one reservation may take (``pacing.chunks``) when paced."""
    whole = [list(range(len(pending)))]
    chunks = pacing.chunks([calls[i] for i in pending], budget) if budget else whole
    return [
        [pending[n] for n in chunk[start : start + width]]
        for chunk in chunks
        for start in range(0, len(chunk), width)
    ]


def _report_throttled(
    context: df.DurableOrchestrationContext,
    settled: Sequence[tuple[Call, Outcome]],
    budget: dict[str, Any],
) -> None:
    """Tell each bucket that ARM throttled calls of it, once per round, until the longest wait
    it asked for (one signal per bucket, not per call: each is an event in the history)."""
    longest: dict[tuple[str, Kind], float] = {}
    for call, outcome in settled:
        priced = pacing.cost_of(*call)
        if not outcome.throttled or outcome.retry_after is None or priced is None:
            continue
        kind = Kind.named(outcome.throttled_kind or "reads")
        if kind.value not in budget:
            kind = Kind.WRITES  # an input from before gallery writes had a bucket
        key = (priced[0], kind)
        longest[key] = max(longest.get(key, 0.0), outcome.retry_after)
    for (subscription, kind), wait in sorted(longest.items()):
        until = context.current_utc_datetime + timedelta(seconds=wait)
        pacing.report_throttled(context, subscription, kind, until)


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
