"""Fan-out with retries (orchestrators.calls.call_all), replayed by the SDK from built histories."""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df

from migration.arm import retry
from migration.durable.outcome import Outcome
from orchestrators.calls import call_all
from tests.orchestrators.histories import (
    CALL_ACTIVITY,
    CALL_ENTITY,
    CREATE_TIMER,
    SIGNAL_ENTITY,
    History,
    timestamp,
)

START = datetime(2030, 1, 1, tzinfo=UTC)


def fan_out(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    outcomes = yield from call_all(context, [("read", "a"), ("read", "b")])
    return [outcome.to_json() for outcome in outcomes]


HANDLE = df.Orchestrator.create(fan_out)
OK = Outcome(ok=True, value="fine").to_json()


def throttled(seconds: float) -> dict[str, Any]:
    outcome = Outcome.failure("TooManyRequests", "throttled", retry_after=seconds)
    return outcome.model_copy(update={"throttled": True}).to_json()


def test_calls_run_side_by_side_and_only_the_throttled_one_runs_again() -> None:
    history = History("fan_out", None, START)
    first = history.replay(HANDLE)
    assert [(a.kind, a.name, a.input) for a in first.new] == [
        (CALL_ACTIVITY, "read", "a"),
        (CALL_ACTIVITY, "read", "b"),
    ]
    history.record(first).episode(timedelta(seconds=2)).completed(0, OK).completed(1, throttled(30))
    waiting = history.replay(HANDLE)
    (timer,) = waiting.new
    assert timer.kind == CREATE_TIMER
    # Throttling backs off from what ARM asked: max(30 s, the first backoff step).
    # ARM's wait, stretched by the jitter that keeps retries apart.
    assert (
        timedelta(seconds=30)
        <= timer.fire_at - history.now
        <= timedelta(seconds=30 * (1 + retry.JITTER))
    )
    history.record(waiting).timer_fired(timer.task_id or 0)
    again = history.replay(HANDLE)
    assert [(a.name, a.input) for a in again.new] == [("read", "b")]
    history.record(again).episode(timedelta(seconds=1)).completed(3, OK)
    done = history.replay(HANDLE)
    assert done.done
    assert [o["ok"] for o in done.output] == [True, True]


def test_an_activity_that_raises_becomes_a_failed_outcome_tried_again() -> None:
    history = History("fan_out", None, START)
    history.record(history.replay(HANDLE)).episode().completed(0, OK)
    history.failed(1, "Activity function 'read' failed: KeyError", "Traceback ...")
    waiting = history.replay(HANDLE)
    (timer,) = waiting.new
    wait = timer.fire_at - history.now
    assert (
        timedelta(seconds=retry.TRANSIENT_WAIT)
        <= wait
        <= timedelta(seconds=retry.TRANSIENT_WAIT * (1 + retry.JITTER))
    )


def test_a_call_that_keeps_asking_to_wait_is_given_up_after_its_attempts() -> None:
    failing = Outcome.failure("ServiceUnavailable", "down", retry_after=1).to_json()
    history = History("fan_out", None, START)
    reply = history.replay(HANDLE)
    history.record(reply).episode().completed(0, OK).completed(1, failing)
    task = 1
    for _ in range(retry.MAX_ATTEMPTS - 1):
        reply = history.replay(HANDLE)
        (timer,) = reply.new
        history.record(reply).timer_fired(timer.task_id or 0)
        reply = history.replay(HANDLE)
        (call,) = reply.new
        task = call.task_id or 0
        history.record(reply).episode().completed(task, failing)
    done = history.replay(HANDLE)
    assert done.done
    assert [o["ok"] for o in done.output] == [True, False]
    assert done.output[1]["error"]["code"] == "ServiceUnavailable"


SUB = "00000000-0000-0000-0000-000000000001"
GALLERY = f"/subscriptions/{SUB}/resourceGroups/g/providers/Microsoft.Compute/galleries/gal"
BUDGET = {"reads": {"capacity": 250, "refillPerSecond": 25}}


def paced(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    payload = {"gallery": GALLERY, "versions": [{"definition": "d", "version": "1.0.0"}]}
    outcomes = yield from call_all(context, [("get_versions", payload)], BUDGET)
    return [outcome.to_json() for outcome in outcomes]


PACED = df.Orchestrator.create(paced)


def test_a_paced_call_reserves_first_and_tells_the_bucket_what_arm_said_remains() -> None:
    history = History("paced", None, START)
    first = history.replay(PACED)
    (reserve,) = first.new
    assert (reserve.kind, reserve.raw["operation"]) == (CALL_ENTITY, "reserve")
    assert reserve.raw["instanceId"] == f"@arm_budget@{SUB}|app|reads"
    history.record(first).episode().entity_answered(
        reserve.task_id or 0, {"notBefore": timestamp(history.now)}
    )
    calling = history.replay(PACED)
    (call,) = calling.new
    assert (call.kind, call.name) == (CALL_ACTIVITY, "get_versions")
    told = Outcome(ok=True, value=[], remaining={f"{SUB}|reads": 7})
    history.record(calling).episode().completed(call.task_id or 0, told.to_json())
    done = history.replay(PACED)
    (observed,) = [a for a in done.new if a.kind == SIGNAL_ENTITY]
    assert observed.raw["operation"] == "observed"
    assert json.loads(observed.raw["input"])["remaining"] == 7
    assert done.done
