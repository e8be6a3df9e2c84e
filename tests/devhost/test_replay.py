"""The extension's side of an episode, on hand-built histories and SDK answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from devhost import history as h
from devhost.history import JsonDict
from devhost.protocol import (
    CUSTOM_STATUS_LIMIT,
    Completed,
    CreateTimer,
    EpisodeOutcome,
    Failed,
    FunctionCatalog,
    ScheduleActivity,
    SdkResult,
    StartSubOrchestration,
    parse_sdk_failure,
)
from devhost.replay import EpisodeReplayer

T0 = datetime(2030, 1, 1, tzinfo=UTC)
CATALOG = FunctionCatalog(activities=["flaky", "hello"], orchestrators=["main", "child"])


def started() -> list[JsonDict]:
    return [
        h.orchestrator_started(T0),
        h.execution_started(T0, name="main", instance_id="i", execution_id="exec", raw_input=None),
    ]


def episode(at: datetime, *events: JsonDict) -> list[JsonDict]:
    return [h.orchestrator_completed(at), h.orchestrator_started(at), *events]


def replay(
    history: list[JsonDict],
    actions: list[JsonDict],
    *,
    catalog: FunctionCatalog = CATALOG,
    **state: Any,
) -> EpisodeOutcome:
    replayer = EpisodeReplayer(
        orchestrator_name="main",
        instance_id="i",
        execution_id="exec",
        parent_instance_id=None,
        catalog=catalog,
    )
    return replayer.replay(history, SdkResult({"isDone": False, "actions": [actions], **state}))


RETRY = {
    "actionType": 1,
    "functionName": "flaky",
    "input": "null",
    "retryOptions": {"firstRetryIntervalInMilliseconds": 1000, "maxNumberOfAttempts": 2},
}


def test_retry_interceptor_numbers_timers_and_attempts_as_durable_task_does() -> None:
    history = started()
    assert replay(history, [RETRY]).decisions == [ScheduleActivity(0, "flaky", "null")]

    t1 = T0 + timedelta(seconds=5)
    history += [h.task_scheduled(T0, 0, "flaky", "null")]
    history += episode(t1, h.task_failed(t1, 0, "nope", None))
    # The retry timer waits from the time the failure is processed, not from the schedule.
    assert replay(history, [RETRY]).decisions == [CreateTimer(1, t1 + timedelta(seconds=1))]

    t2 = t1 + timedelta(seconds=1)
    history += [h.timer_created(t1, 1, t2)]
    history += episode(t2, h.timer_fired(t2, 1, t2))
    assert replay(history, [RETRY]).decisions == [ScheduleActivity(2, "flaky", "null")]

    t3 = t2 + timedelta(seconds=3)
    history += [h.task_scheduled(t2, 2, "flaky", "null")]
    history += episode(t3, h.task_failed(t3, 2, "nope again", None))
    # After the last attempt DurableTask still waits one interval before giving up.
    assert replay(history, [RETRY]).decisions == [CreateTimer(3, t3 + timedelta(seconds=1))]


def test_completion_waits_for_open_timers_unless_cancelled() -> None:
    fire_at = T0 + timedelta(hours=1)
    history = [*started(), h.timer_created(T0, 0, fire_at)]
    history += episode(T0, h.event_raised(T0, "Approval", json.dumps(True)))

    def actions(cancelled: bool) -> list[JsonDict]:
        timer = {"actionType": 5, "fireAt": h.format_timestamp(fire_at), "isCanceled": cancelled}
        wait = {"actionType": 6, "externalEventName": "Approval", "reason": "ExternalEvent"}
        return [{"actionType": 11, "compoundActions": [wait, timer]}]

    waiting = replay(history, actions(False), isDone=True, output="ok")
    assert waiting.completion is None
    assert waiting.decisions == []
    done = replay(history, actions(True), isDone=True, output="ok")
    assert done.completion == Completed(json.dumps("ok"))


def test_sub_orchestration_ids_and_inputs() -> None:
    outcome = replay(
        started(),
        [
            {"actionType": 2, "functionName": "child", "input": '{"a": 1}', "instanceId": None},
            {"actionType": 2, "functionName": "child", "input": "null", "instanceId": "named"},
        ],
    )
    # Only the first is scheduled: the shim awaits each action before the next.
    assert outcome.decisions == [StartSubOrchestration(0, "child", "exec:0", '"{\\"a\\": 1}"')]


def test_mismatched_action_type_is_non_deterministic() -> None:
    history = [*started(), h.task_scheduled(T0, 0, "hello", '"x"')]
    timer = {"actionType": 5, "fireAt": h.format_timestamp(T0), "isCanceled": False}
    outcome = replay(history, [timer])
    assert isinstance(outcome.completion, Failed)
    assert outcome.completion.reason == (
        "Non-Deterministic workflow detected: A previous execution of this orchestration "
        "scheduled an activity task with sequence number 0 named 'hello', but the current "
        "orchestration replay instead produced a CreateTimerOrchestratorAction action with this "
        "sequence number. Was a change made to the orchestrator code after this instance had "
        "already started running?"
    )


def test_missing_timer_is_non_deterministic() -> None:
    history = [*started(), h.timer_created(T0, 0, T0)]
    outcome = replay(history, [], isDone=True)
    assert isinstance(outcome.completion, Failed)
    assert "scheduled a timer task with sequence number 0 but the current replay execution " in (
        outcome.completion.reason
    )


def test_sdk_failure_payload_is_parsed() -> None:
    state = {"isDone": False, "actions": [[]], "error": "boom"}
    message = "boom\n\n$OutOfProcData$:" + json.dumps(state)
    parsed = parse_sdk_failure(message)
    assert parsed is not None
    assert parsed.error == "boom"
    outcome = EpisodeReplayer(
        orchestrator_name="main",
        instance_id="i",
        execution_id="exec",
        parent_instance_id=None,
        catalog=CATALOG,
    ).replay(started(), parsed)
    assert isinstance(outcome.completion, Failed)
    assert outcome.completion.reason == "Orchestrator function 'main' failed: boom"
    assert parse_sdk_failure("no data here") is None


def test_a_custom_status_over_16_kb_of_utf16_fails_the_instance() -> None:
    replayer = EpisodeReplayer(
        orchestrator_name="o",
        instance_id="i",
        execution_id="e",
        parent_instance_id=None,
        catalog=FunctionCatalog(activities=[], orchestrators=["o"]),
    )
    # 9,000 ASCII characters: under 16 K characters, over 16 KB once UTF-16 encoded.
    big = "x" * 9000
    assert len(big) < CUSTOM_STATUS_LIMIT < len(big.encode("utf-16-le"))
    outcome = replayer.replay(
        [], SdkResult(state={"isDone": False, "actions": [], "customStatus": big})
    )
    assert outcome.custom_status is None
    assert outcome.completion is not None
    assert "16 KB" in str(outcome.completion)
