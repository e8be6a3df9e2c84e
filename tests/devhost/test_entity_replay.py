"""Entity calls and signals in the extension's side of an episode, on hand-built histories."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from devhost import history as h
from devhost.entity_protocol import request_guid, response_json
from devhost.history import JsonDict
from devhost.protocol import (
    Completed,
    EpisodeOutcome,
    Failed,
    FunctionCatalog,
    ScheduleActivity,
    SendEntityMessage,
)
from tests.devhost.test_replay import T0, started
from tests.devhost.test_replay import replay as replay_with

CATALOG = FunctionCatalog(activities=["hello"], orchestrators=["main"], entities=["Counter"])
CALL = {"actionType": 7, "instanceId": "@counter@k", "operation": "add", "input": "3"}
SIGNAL = {"actionType": 9, "instanceId": "@counter@k", "operation": "reset", "input": "null"}


def replay(history: list[JsonDict], actions: list[JsonDict], **state: Any) -> EpisodeOutcome:
    return replay_with(history, actions, catalog=CATALOG, **state)


def sent(outcome: EpisodeOutcome) -> list[SendEntityMessage]:
    return [d for d in outcome.decisions if isinstance(d, SendEntityMessage)]


def test_a_call_is_a_send_event_of_a_request_with_a_replayable_id() -> None:
    (decision,) = sent(replay(started(), [CALL]))
    assert (decision.task_id, decision.target, decision.name) == (0, "@counter@k", "op")
    request = json.loads(decision.input)
    assert request == {
        "op": "add",
        "input": '"3"',
        "id": request_guid("i", T0, 0),
        "parent": "i",
        "parentExecution": "exec",
        "Timestamp": "2030-01-01T00:00:00Z",
        "Predecessor": "0001-01-01T00:00:00",
    }
    # The same history replays to the same request, id included.
    assert sent(replay(started(), [CALL])) == [decision]


def test_signals_take_a_sequence_number_and_do_not_wait() -> None:
    outcome = replay(started(), [SIGNAL, CALL, {"actionType": 0, "functionName": "hello"}])
    first, second = sent(outcome)
    assert (first.task_id, json.loads(first.input)["signal"]) == (0, True)
    assert "signal" not in json.loads(second.input)
    # The shim awaits the call before the activity: it is not scheduled yet.
    assert not [d for d in outcome.decisions if isinstance(d, ScheduleActivity)]
    # Each request gets the next GUID of the context's counter.
    assert json.loads(second.input)["id"] == request_guid("i", T0, 1)


def test_the_response_event_completes_the_call() -> None:
    request_id = request_guid("i", T0, 0)
    later = T0 + timedelta(seconds=1)
    (decision,) = sent(replay(started(), [CALL]))
    history = [*started(), h.event_sent(T0, 0, "@counter@k", "op", decision.input)]
    history += [h.orchestrator_completed(T0), h.orchestrator_started(later)]
    history += [h.event_raised(later, request_id, response_json("3", is_error=False))]
    done = replay(history, [CALL], isDone=True, output=3)
    assert done.completion == Completed("3")
    assert done.decisions == []


def test_a_call_to_an_undefined_entity_fails_the_orchestration() -> None:
    call = {**CALL, "instanceId": "@nowhere@k"}
    outcome = replay(started(), [call])
    assert outcome.completion == Failed(
        "Orchestrator function 'main' failed: The function 'nowhere' doesn't exist, is disabled, "
        "or is not an entity function. Additional info: The following are the known entity "
        "functions: 'Counter'.",
        None,
    )


def test_an_entity_id_that_is_not_one_fails_the_orchestration() -> None:
    outcome = replay(started(), [{**CALL, "instanceId": "counter"}])
    assert outcome.completion == Failed(
        "Orchestrator function 'main' failed: not an entity instance id: 'counter'", None
    )


def test_a_sub_orchestration_id_may_not_look_like_an_entity() -> None:
    sub = {"actionType": 2, "functionName": "main", "input": "null", "instanceId": "@x@y"}
    outcome = replay(started(), [sub])
    assert isinstance(outcome.completion, Failed)
    assert outcome.completion.reason.endswith(
        "instanceId (Parameter 'Orchestration instance ids must not start with @')"
    )


def test_an_event_sent_that_the_replay_does_not_produce_is_non_deterministic() -> None:
    history = [*started(), h.event_sent(T0, 0, "@counter@k", "op", "{}")]
    missing = replay(history, [], isDone=True)
    assert missing.completion == Failed(
        "Non-Deterministic workflow detected: A previous execution of this orchestration "
        "scheduled a send event task with sequence ID 0, type 'EventSent' name 'op', instance ID "
        "'@counter@k', but the current replay execution hasn't (yet?) scheduled this task. Was a "
        "change made to the orchestrator code after this instance had already started running?",
        None,
    )
    other = replay(history, [{"actionType": 0, "functionName": "hello", "input": "null"}])
    assert isinstance(other.completion, Failed)
    assert other.completion.reason == (
        "Non-Deterministic workflow detected: A previous execution of this orchestration "
        "scheduled a send event task with sequence ID 0, type 'EventSent', name 'op', instance "
        "ID '@counter@k', but the current orchestration replay instead scheduled a "
        "ScheduleTaskOrchestratorAction task at this sequence number. Was a change made to the "
        "orchestrator code after this instance had already started running?"
    )


def test_an_activity_where_history_has_an_entity_message_names_the_send_event_action() -> None:
    history = [*started(), h.task_scheduled(T0, 0, "hello", "null")]
    outcome = replay(history, [CALL])
    assert isinstance(outcome.completion, Failed)
    assert "instead produced a SendEventOrchestratorAction action" in outcome.completion.reason
