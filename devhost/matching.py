"""Matching history's scheduling events to the actions a replay produced.

DurableTask.Core walks the history and, for each ``TaskScheduled``, ``TimerCreated`` and
``SubOrchestrationInstanceCreated`` event, expects the replayed orchestration to have produced
an action of the same kind (and, for activities and sub-orchestrations, the same name) under the
same sequence number. A mismatch is a ``NonDeterministicOrchestrationException``; the messages
below are DurableTask's, word for word (double space included), since they reach the user as the
instance's failure reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from devhost.history import EventType, JsonDict
from devhost.protocol import CreateTimer, Decision, ScheduleActivity, StartSubOrchestration

_ND_SUFFIX = (
    "Was a change made to the orchestrator code after this instance had already started running?"
)

_ACTION_NAMES = {
    "task": "ScheduleTaskOrchestratorAction",
    "timer": "CreateTimerOrchestratorAction",
    "sub": "CreateSubOrchestrationAction",
}

#: The history events that record a scheduled action.
SCHEDULING_EVENTS = frozenset(
    {EventType.TASK_SCHEDULED, EventType.TIMER_CREATED, EventType.SUB_ORCHESTRATION_CREATED}
)


class NonDeterminismError(Exception):
    def __init__(self, details: str) -> None:
        super().__init__(f"Non-Deterministic workflow detected: {details}")


@dataclass
class ScheduledAction:
    """An action the replay produced, waiting for its history event (or to become a decision)."""

    kind: str  # "task" | "timer" | "sub"
    name: str = ""
    input: str | None = None
    fire_at: datetime | None = None
    instance_id: str = ""

    def decision(self, task_id: int) -> Decision:
        if self.kind == "task":
            return ScheduleActivity(task_id, self.name, self.input)
        if self.kind == "timer":
            assert self.fire_at is not None
            return CreateTimer(task_id, self.fire_at)
        return StartSubOrchestration(task_id, self.name, self.instance_id, self.input)


def match(actions: dict[int, ScheduledAction], event: JsonDict) -> None:
    """Consume the action ``event`` records, or raise :class:`NonDeterminismError`."""
    check = _CHECKS[event["EventType"]]
    task_id = event["EventId"]
    action = actions.get(task_id)
    if action is None:
        raise NonDeterminismError(check.missing(event))
    if action.kind != check.kind:
        raise NonDeterminismError(check.other_kind(event, _ACTION_NAMES[action.kind]))
    if check.other_name is not None and (event.get("Name") or "").lower() != action.name.lower():
        raise NonDeterminismError(check.other_name(event, action.name))
    del actions[task_id]


@dataclass(frozen=True)
class _Check:
    kind: str
    missing: Callable[[JsonDict], str]
    other_kind: Callable[[JsonDict, str], str]  # given the replayed action's type name
    other_name: Callable[[JsonDict, str], str] | None  # given the replayed action's name


def _task_missing(event: JsonDict) -> str:
    return (
        f"A previous execution of this orchestration scheduled an activity task with "
        f"sequence ID {event['EventId']} and name '{event.get('Name')}' (version ''), but the "
        f"current replay execution hasn't (yet?) scheduled this task. {_ND_SUFFIX}"
    )


def _task_other_kind(event: JsonDict, action_type: str) -> str:
    return (
        f"A previous execution of this orchestration scheduled an activity task with "
        f"sequence number {event['EventId']} named '{event.get('Name')}', but the current "
        f"orchestration replay instead produced a {action_type} action with this sequence "
        f"number. {_ND_SUFFIX}"
    )


def _task_other_name(event: JsonDict, name: str) -> str:
    return (
        f"A previous execution of this orchestration scheduled an activity task with "
        f"sequence number {event['EventId']} named '{event.get('Name')}', but the current "
        f"orchestration replay instead scheduled an activity task named '{name}' with this "
        f"sequence number.  {_ND_SUFFIX}"
    )


def _timer_missing(event: JsonDict) -> str:
    return (
        f"A previous execution of this orchestration scheduled a timer task with sequence "
        f"number {event['EventId']} but the current replay execution hasn't (yet?) scheduled "
        f"this task. {_ND_SUFFIX}"
    )


def _timer_other_kind(event: JsonDict, action_type: str) -> str:
    return (
        f"A previous execution of this orchestration scheduled a timer task with sequence "
        f"number {event['EventId']} named but the current orchestration replay instead "
        f"produced a {action_type} action with this sequence number. {_ND_SUFFIX}"
    )


def _sub(event: JsonDict) -> str:
    return (
        f"A previous execution of this orchestration scheduled a sub-orchestration task with "
        f"sequence ID {event['EventId']} and name '{event.get('Name')}' (version '', instance "
        f"ID '{event.get('InstanceId')}')"
    )


def _sub_missing(event: JsonDict) -> str:
    return (
        f"{_sub(event)}, but the current replay execution hasn't (yet?) scheduled this "
        f"task. {_ND_SUFFIX}"
    )


def _sub_other_kind(event: JsonDict, action_type: str) -> str:
    return (
        f"{_sub(event)}, but the current orchestration replay instead produced a "
        f"{action_type} action at this sequence number. {_ND_SUFFIX}"
    )


def _sub_other_name(event: JsonDict, name: str) -> str:
    return (
        f"{_sub(event)}, but the current orchestration replay instead scheduled a "
        f"sub-orchestration task with name {name} at this sequence number. {_ND_SUFFIX}"
    )


_CHECKS = {
    EventType.TASK_SCHEDULED: _Check("task", _task_missing, _task_other_kind, _task_other_name),
    EventType.TIMER_CREATED: _Check("timer", _timer_missing, _timer_other_kind, None),
    EventType.SUB_ORCHESTRATION_CREATED: _Check(
        "sub", _sub_missing, _sub_other_kind, _sub_other_name
    ),
}
