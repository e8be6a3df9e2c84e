"""Matching history's scheduling events to the actions a replay produced.

DurableTask.Core walks the history and, for each ``TaskScheduled``, ``TimerCreated`` and
``SubOrchestrationInstanceCreated`` event, expects the replayed orchestration to have produced
an action of the same kind (and, for activities and sub-orchestrations, the same name) under the
same sequence number. A mismatch is a ``NonDeterministicOrchestrationException``; the messages
below are DurableTask's, word for word (double space included), since they reach the user as the
instance's failure reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from devhost.history import EventType, JsonDict
from devhost.protocol import (
    CreateTimer,
    Decision,
    ScheduleActivity,
    SendEntityMessage,
    StartSubOrchestration,
)

_ND_SUFFIX = (
    "Was a change made to the orchestrator code after this instance had already started running?"
)

_ACTION_NAMES = {
    "task": "ScheduleTaskOrchestratorAction",
    "timer": "CreateTimerOrchestratorAction",
    "sub": "CreateSubOrchestrationAction",
    "event": "SendEventOrchestratorAction",
}

#: The history events that record a scheduled action.
SCHEDULING_EVENTS = frozenset(
    {
        EventType.TASK_SCHEDULED,
        EventType.TIMER_CREATED,
        EventType.SUB_ORCHESTRATION_CREATED,
        EventType.EVENT_SENT,
    }
)


class NonDeterminismError(Exception):
    def __init__(self, details: str) -> None:
        super().__init__(f"Non-Deterministic workflow detected: {details}")


@dataclass
class ScheduledAction:
    """An action the replay produced, waiting for its history event (or to become a decision)."""

    kind: str  # "task" | "timer" | "sub" | "event"
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
        if self.kind == "event":
            assert self.input is not None
            return SendEntityMessage(task_id, self.instance_id, self.name, self.input)
        return StartSubOrchestration(task_id, self.name, self.instance_id, self.input)


def match(actions: dict[int, ScheduledAction], event: JsonDict) -> None:
    """Consume the action ``event`` records, or raise :class:`NonDeterminismError`."""
    check = _CHECKS[event["EventType"]]
    task_id = event["EventId"]
    action = actions.get(task_id)
    if action is None:
        raise _mismatch(check.missing, event)
    if action.kind != check.kind:
        raise _mismatch(check.other_kind, event, action_type=_ACTION_NAMES[action.kind])
    if check.other_name and (event.get("Name") or "").lower() != action.name.lower():
        raise _mismatch(check.other_name, event, action_name=action.name)
    del actions[task_id]


def _mismatch(template: str, event: JsonDict, **replayed: str) -> NonDeterminismError:
    text = template.format(
        id=event["EventId"],
        name=event.get("Name"),
        instance=event.get("InstanceId"),
        comma=",",
        **replayed,
    )
    return NonDeterminismError(
        f"A previous execution of this orchestration scheduled {text} {_ND_SUFFIX}"
    )


@dataclass(frozen=True)
class _Check:
    """DurableTask's texts for one kind of action: {id}, {name} and {instance} are the event's,
    {action_type} and {action_name} the replayed action's."""

    kind: str
    missing: str
    other_kind: str
    other_name: str = ""  # "": the name is not checked


_EVENT = (
    "a send event task with sequence ID {id}, type 'EventSent'{comma} name '{name}', instance ID "
    "'{instance}'"
)

_SUB = (
    "a sub-orchestration task with sequence ID {id} and name '{name}' (version '', instance ID "
    "'{instance}'), but the current"
)

_CHECKS = {
    EventType.TASK_SCHEDULED: _Check(
        "task",
        missing="an activity task with sequence ID {id} and name '{name}' (version ''), but the "
        "current replay execution hasn't (yet?) scheduled this task.",
        other_kind="an activity task with sequence number {id} named '{name}', but the current "
        "orchestration replay instead produced a {action_type} action with this sequence number.",
        # DurableTask's text ends in a space here, hence the double space before the suffix.
        other_name="an activity task with sequence number {id} named '{name}', but the current "
        "orchestration replay instead scheduled an activity task named '{action_name}' with this "
        "sequence number. ",
    ),
    EventType.TIMER_CREATED: _Check(
        "timer",
        missing="a timer task with sequence number {id} but the current replay execution hasn't "
        "(yet?) scheduled this task.",
        other_kind="a timer task with sequence number {id} named but the current orchestration "
        "replay instead produced a {action_type} action with this sequence number.",
    ),
    EventType.SUB_ORCHESTRATION_CREATED: _Check(
        "sub",
        missing=_SUB + " replay execution hasn't (yet?) scheduled this task.",
        other_kind=_SUB + " orchestration replay instead produced a {action_type} action at this "
        "sequence number.",
        other_name=_SUB + " orchestration replay instead scheduled a sub-orchestration task with "
        "name {action_name} at this sequence number.",
    ),
    # DurableTask's texts as written: the first has no comma before "name", the last a stray
    # parenthesis and no space before "at".
    EventType.EVENT_SENT: _Check(
        "event",
        missing=_EVENT.replace("{comma}", "") + ", but the current replay execution hasn't "
        "(yet?) scheduled this task.",
        other_kind=_EVENT + ", but the current orchestration replay instead scheduled a "
        "{action_type} task at this sequence number.",
        other_name=_EVENT + "), but the current orchestration replay instead scheduled a send "
        "event task with name {action_name}at this sequence number.",
    ),
}
