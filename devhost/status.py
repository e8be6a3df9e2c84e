"""Status payloads as the Durable extension's HTTP API renders them (StatusResponsePayload)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from devhost.history import EventType, JsonDict, OrchestrationStatus, format_status_time


class StatusSource(Protocol):
    """What a status payload is made of: an orchestration instance, or an entity seen as one."""

    @property
    def name(self) -> str: ...
    @property
    def instance_id(self) -> str: ...
    @property
    def status(self) -> OrchestrationStatus: ...
    @property
    def input(self) -> str | None: ...
    @property
    def custom_status(self) -> str | None: ...
    @property
    def output(self) -> str | None: ...
    @property
    def created_time(self) -> datetime: ...
    @property
    def last_updated_time(self) -> datetime: ...


def parse_to_token(value: str | None) -> Any:
    """DurableClient.ParseToJToken: JSON when it parses, else the raw text."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return ""
    try:
        return json.loads(text)
    except ValueError:
        return value


def status_payload(
    instance: StatusSource,
    *,
    show_input: bool = True,
    history: list[JsonDict] | None = None,
    show_history_output: bool = False,
) -> JsonDict:
    payload: JsonDict = {
        "name": instance.name,
        "instanceId": instance.instance_id,
        "runtimeStatus": instance.status.name,
        "input": parse_to_token(instance.input) if show_input else None,
        "customStatus": parse_to_token(instance.custom_status),
        "output": parse_to_token(instance.output),
        "createdTime": format_status_time(instance.created_time),
        "lastUpdatedTime": format_status_time(instance.last_updated_time),
    }
    if history is not None:
        payload["historyEvents"] = format_history(history, show_history_output)
    return payload


def format_history(events: list[JsonDict], show_output: bool) -> list[JsonDict]:
    """The summarised history that ``showHistory=true`` returns (DurableClient's rewrite)."""
    items = [dict(event) for event in events]
    scheduled: dict[str, tuple[int, str | None, str]] = {}
    dropped: set[int] = set()
    for index, item in enumerate(items):
        kind = EventType(item["EventType"])
        item["EventType"] = _EVENT_NAMES.get(kind, kind.name)
        if kind in (EventType.TASK_SCHEDULED, EventType.SUB_ORCHESTRATION_CREATED):
            scheduled[f"{kind.name}_{item['EventId']}"] = (
                index,
                item.get("Name"),
                item["Timestamp"],
            )
            item.pop("Version", None)
            item.pop("Input", None)
        elif kind in (
            EventType.TASK_COMPLETED,
            EventType.TASK_FAILED,
            EventType.SUB_ORCHESTRATION_COMPLETED,
            EventType.SUB_ORCHESTRATION_FAILED,
        ):
            prefix = (
                EventType.TASK_SCHEDULED
                if kind in (EventType.TASK_COMPLETED, EventType.TASK_FAILED)
                else EventType.SUB_ORCHESTRATION_CREATED
            )
            found = scheduled.get(f"{prefix.name}_{item.get('TaskScheduledId')}")
            if found is not None:
                item["ScheduledTime"] = found[2]
                item["FunctionName"] = found[1]
                dropped.add(found[0])
            item.pop("TaskScheduledId", None)
            completed = kind in (EventType.TASK_COMPLETED, EventType.SUB_ORCHESTRATION_COMPLETED)
            if completed:
                if show_output:
                    item["Result"] = parse_to_token(item.get("Result"))
                else:
                    item.pop("Result", None)
        elif kind == EventType.EXECUTION_STARTED:
            item["FunctionName"] = item.pop("Name", None)
            for key in ("OrchestrationInstance", "ParentInstance", "Version", "Tags", "Input"):
                item.pop(key, None)
        elif kind == EventType.EXECUTION_COMPLETED:
            item["OrchestrationStatus"] = OrchestrationStatus(item["OrchestrationStatus"]).name
            if show_output:
                item["Result"] = parse_to_token(item.get("Result"))
            else:
                item.pop("Result", None)
        elif kind in (EventType.EXECUTION_TERMINATED, EventType.EVENT_RAISED):
            item.pop("Input", None)
        elif kind == EventType.TIMER_FIRED:
            item.pop("TimerId", None)
        elif kind in (EventType.ORCHESTRATOR_STARTED, EventType.ORCHESTRATOR_COMPLETED):
            dropped.add(index)
        item.pop("EventId", None)
        item.pop("IsPlayed", None)
    return [item for index, item in enumerate(items) if index not in dropped]


_EVENT_NAMES = {
    EventType.EXECUTION_STARTED: "ExecutionStarted",
    EventType.EXECUTION_COMPLETED: "ExecutionCompleted",
    EventType.EXECUTION_FAILED: "ExecutionFailed",
    EventType.EXECUTION_TERMINATED: "ExecutionTerminated",
    EventType.TASK_SCHEDULED: "TaskScheduled",
    EventType.TASK_COMPLETED: "TaskCompleted",
    EventType.TASK_FAILED: "TaskFailed",
    EventType.SUB_ORCHESTRATION_CREATED: "SubOrchestrationInstanceCreated",
    EventType.SUB_ORCHESTRATION_COMPLETED: "SubOrchestrationInstanceCompleted",
    EventType.SUB_ORCHESTRATION_FAILED: "SubOrchestrationInstanceFailed",
    EventType.TIMER_CREATED: "TimerCreated",
    EventType.TIMER_FIRED: "TimerFired",
    EventType.ORCHESTRATOR_STARTED: "OrchestratorStarted",
    EventType.ORCHESTRATOR_COMPLETED: "OrchestratorCompleted",
    EventType.EVENT_SENT: "EventSent",
    EventType.EVENT_RAISED: "EventRaised",
    EventType.CONTINUE_AS_NEW: "ContinueAsNew",
    EventType.EXECUTION_SUSPENDED: "ExecutionSuspended",
    EventType.EXECUTION_RESUMED: "ExecutionResumed",
}
