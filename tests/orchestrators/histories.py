"""Orchestration histories built event by event and replayed by the SDK itself, with no host.

As the Durable SDK's own tests do (its ``ContextBuilder``): a test appends the events a host would
have recorded (an episode starting, an activity scheduled and completed, a timer created and
fired, an event raised) and hands the context JSON to the orchestrator function's handle, then
reads the actions the SDK answers with. Each replay takes milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# History event types and action types (DurableTask's numbering, as the SDK reads them).
EXECUTION_STARTED, TASK_SCHEDULED, TASK_COMPLETED, TASK_FAILED = 0, 4, 5, 6
SUB_CREATED, SUB_COMPLETED, SUB_FAILED = 7, 8, 9
TIMER_CREATED, TIMER_FIRED, ORCHESTRATOR_STARTED, EVENT_SENT, EVENT_RAISED = 10, 11, 12, 14, 15
CALL_ACTIVITY, CALL_SUB, CONTINUE_AS_NEW, CREATE_TIMER, WAIT_FOR_EVENT = 0, 2, 4, 5, 6
CALL_ENTITY, SIGNAL_ENTITY, WHEN_ANY, WHEN_ALL = 7, 9, 11, 12
# Actions that take a sequence number (entity calls and signals too: the host sends each as an
# event, recorded as EventSent under that number).
_SCHEDULING = {
    CALL_ACTIVITY: TASK_SCHEDULED,
    CALL_SUB: SUB_CREATED,
    CREATE_TIMER: TIMER_CREATED,
    CALL_ENTITY: EVENT_SENT,
    SIGNAL_ENTITY: EVENT_SENT,
}


def timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Action:
    """One action of the SDK's answer, with the sequence number the host would give it."""

    kind: int
    raw: dict[str, Any]
    task_id: int | None

    @property
    def name(self) -> str:
        return str(self.raw.get("functionName") or self.raw.get("externalEventName") or "")

    @property
    def input(self) -> Any:
        raw = self.raw.get("input")
        return json.loads(raw) if isinstance(raw, str) else raw

    @property
    def fire_at(self) -> datetime:
        return datetime.fromisoformat(str(self.raw["fireAt"]).replace("Z", "+00:00"))

    @property
    def canceled(self) -> bool:
        return bool(self.raw.get("isCanceled"))


@dataclass
class Reply:
    state: dict[str, Any]
    actions: list[Action]
    scheduled_before: int

    @property
    def done(self) -> bool:
        return bool(self.state.get("isDone"))

    @property
    def output(self) -> Any:
        return self.state.get("output")

    @property
    def custom_status(self) -> Any:
        return self.state.get("customStatus")

    @property
    def new(self) -> list[Action]:
        """Actions the history has not recorded yet (what a host would do next)."""
        return [
            a
            for a in self.actions
            if (a.task_id is not None and a.task_id >= self.scheduled_before)
            or a.kind == CONTINUE_AS_NEW
        ]


@dataclass
class History:
    """A history under construction; ``now`` is the time of the latest episode."""

    name: str
    input: Any
    now: datetime
    instance_id: str = "instance"
    events: list[dict[str, Any]] = field(default_factory=list)
    fire_at: dict[int, datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.episode()
        self._add(
            EXECUTION_STARTED,
            Name=self.name,
            Version="",
            Input=json.dumps(self.input),
            OrchestrationInstance={"InstanceId": self.instance_id, "ExecutionId": "e1"},
        )

    def _add(self, kind: int, event_id: int = -1, **fields: Any) -> None:
        self.events.append(
            {
                "EventType": kind,
                "EventId": event_id,
                "IsPlayed": False,
                "Timestamp": timestamp(self.now),
                **fields,
            }
        )

    def episode(self, after: timedelta = timedelta(0)) -> History:
        """A new episode starts ``after`` the last one (``current_utc_datetime`` moves on)."""
        self.now += after
        self._add(ORCHESTRATOR_STARTED)
        return self

    def record(self, reply: Reply) -> History:
        """Record the scheduling of every new action of ``reply``, as the host would."""
        for action in reply.new:
            assert action.task_id is not None
            if action.kind == CALL_ACTIVITY:
                self._add(
                    TASK_SCHEDULED, action.task_id, Name=action.name, Input=action.raw.get("input")
                )
            elif action.kind == CALL_SUB:
                self._add(
                    SUB_CREATED,
                    action.task_id,
                    Name=action.name,
                    InstanceId=action.raw.get("instanceId"),
                    Input=action.raw.get("input"),
                )
            elif action.kind == CREATE_TIMER:
                self.fire_at[action.task_id] = action.fire_at
                self._add(TIMER_CREATED, action.task_id, FireAt=action.raw["fireAt"])
            elif action.kind in (CALL_ENTITY, SIGNAL_ENTITY):
                # The host's RequestMessage: the SDK reads only its id (an entity call's
                # answer is an event named by it).
                request = {"op": action.raw.get("operation"), "id": request_id(action.task_id)}
                self._add(
                    EVENT_SENT,
                    action.task_id,
                    Name="op",
                    InstanceId=action.raw.get("instanceId"),
                    Input=json.dumps(request),
                )
        return self

    def entity_answered(self, task_id: int, result: Any) -> History:
        """The entity called at ``task_id`` answers with ``result``."""
        response = {"result": json.dumps(result)}
        self._add(EVENT_RAISED, Name=request_id(task_id), Input=json.dumps(response))
        return self

    def completed(self, task_id: int, result: Any) -> History:
        self._add(TASK_COMPLETED, TaskScheduledId=task_id, Result=json.dumps(result))
        return self

    def failed(self, task_id: int, reason: str, details: str = "") -> History:
        self._add(TASK_FAILED, TaskScheduledId=task_id, Reason=reason, Details=details)
        return self

    def sub_completed(self, task_id: int, result: Any) -> History:
        self._add(SUB_COMPLETED, TaskScheduledId=task_id, Result=json.dumps(result))
        return self

    def timer_fired(self, task_id: int, *, new_episode: bool = True) -> History:
        """The timer fires: a new episode starts at its time with the event (or, without
        ``new_episode``, the event joins the episode under way, which has reached its time)."""
        fire_at = self.fire_at[task_id]
        if new_episode:
            self.episode(max(timedelta(0), fire_at - self.now))
        assert self.now >= fire_at, "a timer fires only once its time has come"
        self._add(TIMER_FIRED, TimerId=task_id, FireAt=timestamp(fire_at))
        return self

    def raised(self, name: str, payload: Any) -> History:
        self._add(EVENT_RAISED, Name=name, Input=json.dumps(payload))
        return self

    def replay(self, handle: Callable[[str], str]) -> Reply:
        context = {
            "history": self.events,
            "input": json.dumps(self.input),
            "instanceId": self.instance_id,
            "isReplaying": False,
            "parentInstanceId": None,
            "upperSchemaVersion": 1,
        }
        state = json.loads(handle(json.dumps(context)))
        actions: list[Action] = []

        def walk(raw: dict[str, Any]) -> None:
            # task_all and task_any answer with a compound action holding their tasks.
            for child in raw.get("compoundActions") or []:
                walk(child)
            kind = raw["actionType"]
            if kind not in (WHEN_ALL, WHEN_ANY):
                scheduling = sum(1 for a in actions if a.task_id is not None)
                task_id = scheduling if kind in _SCHEDULING else None
                actions.append(Action(kind, raw, task_id))

        for group in state.get("actions") or []:
            for raw in group:
                walk(raw)
        scheduled = sum(1 for e in self.events if e["EventType"] in set(_SCHEDULING.values()))
        return Reply(state, actions, scheduled)


def request_id(task_id: int) -> str:
    return f"00000000-0000-0000-0000-{task_id:012d}"


def handle_of(decorated: Any) -> Callable[[str], str]:
    """The SDK's orchestrator handle behind a function decorated on a ``df.Blueprint``."""
    handle: Callable[[str], str] = decorated.build().get_user_function()
    return handle
