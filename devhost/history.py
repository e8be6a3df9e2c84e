"""History events as the Durable extension hands them to an out-of-process SDK.

Each event is a plain dict with the field names of DurableTask.Core's JSON (``EventType``,
``EventId``, ``IsPlayed``, ``Timestamp`` and the per-type fields), because that is exactly what
``DurableOrchestrationContext.from_json`` in azure-functions-durable reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from simclock import utc

JsonDict = dict[str, Any]


class EventType(IntEnum):
    EXECUTION_STARTED = 0
    EXECUTION_COMPLETED = 1
    EXECUTION_FAILED = 2
    EXECUTION_TERMINATED = 3
    TASK_SCHEDULED = 4
    TASK_COMPLETED = 5
    TASK_FAILED = 6
    SUB_ORCHESTRATION_CREATED = 7
    SUB_ORCHESTRATION_COMPLETED = 8
    SUB_ORCHESTRATION_FAILED = 9
    TIMER_CREATED = 10
    TIMER_FIRED = 11
    ORCHESTRATOR_STARTED = 12
    ORCHESTRATOR_COMPLETED = 13
    EVENT_SENT = 14
    EVENT_RAISED = 15
    CONTINUE_AS_NEW = 16
    GENERIC = 17
    HISTORY_STATE = 18
    EXECUTION_SUSPENDED = 19
    EXECUTION_RESUMED = 20


class OrchestrationStatus(IntEnum):
    """DurableTask.Core's OrchestrationStatus; the names are the runtime statuses clients see."""

    Running = 0
    Completed = 1
    ContinuedAsNew = 2
    Failed = 3
    Canceled = 4
    Terminated = 5
    Pending = 6
    Suspended = 7


TERMINAL_STATUSES = frozenset(
    {
        OrchestrationStatus.Completed,
        OrchestrationStatus.Failed,
        OrchestrationStatus.Canceled,
        OrchestrationStatus.Terminated,
    }
)

# .NET serialises DateTime with seven fractional digits; Python's six are read back by both the
# SDK (dateutil) and .NET, so the shorter form is the one devhost writes.
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_timestamp(value: datetime) -> str:
    return utc(value).strftime(_TIMESTAMP_FORMAT)


def parse_timestamp(value: str) -> datetime:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # fromisoformat in 3.11 accepts any number of fractional digits except seven: trim to six.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        index = 0
        while index < len(rest) and rest[index].isdigit():
            digits += rest[index]
            index += 1
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[index:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_status_time(value: datetime) -> str:
    """Times in status payloads: .NET's ``ToString("s") + "Z"``, whole seconds."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event(kind: EventType, at: datetime, event_id: int = -1, **fields: Any) -> JsonDict:
    return {
        "EventType": int(kind),
        "EventId": event_id,
        "IsPlayed": False,
        "Timestamp": format_timestamp(at),
        **fields,
    }


def orchestrator_started(at: datetime) -> JsonDict:
    return _event(EventType.ORCHESTRATOR_STARTED, at)


def orchestrator_completed(at: datetime) -> JsonDict:
    return _event(EventType.ORCHESTRATOR_COMPLETED, at)


def parent_instance(
    name: str, instance_id: str, execution_id: str, task_schedule_id: int
) -> JsonDict:
    return {
        "Name": name,
        "Version": "",
        "OrchestrationInstance": {"InstanceId": instance_id, "ExecutionId": execution_id},
        "TaskScheduleId": task_schedule_id,
    }


def execution_started(
    at: datetime,
    *,
    name: str,
    instance_id: str,
    execution_id: str,
    raw_input: str | None,
    parent: JsonDict | None = None,
    version: str = "",
) -> JsonDict:
    return _event(
        EventType.EXECUTION_STARTED,
        at,
        OrchestrationInstance={"InstanceId": instance_id, "ExecutionId": execution_id},
        ParentInstance=parent,
        Name=name,
        Version=version,
        Input=raw_input,
        Tags=None,
    )


def execution_completed(
    at: datetime, status: OrchestrationStatus, result: str | None, details: str | None = None
) -> JsonDict:
    fields: JsonDict = {"OrchestrationStatus": int(status), "Result": result}
    if details is not None:
        fields["Details"] = details
    return _event(EventType.EXECUTION_COMPLETED, at, **fields)


def execution_terminated(at: datetime, reason: str | None) -> JsonDict:
    return _event(EventType.EXECUTION_TERMINATED, at, Input=reason)


def execution_suspended(at: datetime, reason: str | None) -> JsonDict:
    return _event(EventType.EXECUTION_SUSPENDED, at, Reason=reason)


def execution_resumed(at: datetime, reason: str | None) -> JsonDict:
    return _event(EventType.EXECUTION_RESUMED, at, Reason=reason)


def task_scheduled(at: datetime, task_id: int, name: str, raw_input: str | None) -> JsonDict:
    return _event(EventType.TASK_SCHEDULED, at, task_id, Name=name, Version="", Input=raw_input)


def task_completed(at: datetime, scheduled_id: int, result: str | None) -> JsonDict:
    return _event(EventType.TASK_COMPLETED, at, TaskScheduledId=scheduled_id, Result=result)


def task_failed(at: datetime, scheduled_id: int, reason: str, details: str | None) -> JsonDict:
    return _event(
        EventType.TASK_FAILED, at, TaskScheduledId=scheduled_id, Reason=reason, Details=details
    )


def timer_created(at: datetime, timer_id: int, fire_at: datetime) -> JsonDict:
    return _event(EventType.TIMER_CREATED, at, timer_id, FireAt=format_timestamp(fire_at))


def timer_fired(at: datetime, timer_id: int, fire_at: datetime) -> JsonDict:
    return _event(EventType.TIMER_FIRED, at, TimerId=timer_id, FireAt=format_timestamp(fire_at))


def sub_orchestration_created(
    at: datetime, task_id: int, name: str, instance_id: str, raw_input: str | None
) -> JsonDict:
    return _event(
        EventType.SUB_ORCHESTRATION_CREATED,
        at,
        task_id,
        Name=name,
        Version="",
        InstanceId=instance_id,
        Input=raw_input,
    )


def sub_orchestration_completed(at: datetime, scheduled_id: int, result: str | None) -> JsonDict:
    return _event(
        EventType.SUB_ORCHESTRATION_COMPLETED, at, TaskScheduledId=scheduled_id, Result=result
    )


def sub_orchestration_failed(
    at: datetime, scheduled_id: int, reason: str, details: str | None
) -> JsonDict:
    return _event(
        EventType.SUB_ORCHESTRATION_FAILED,
        at,
        TaskScheduledId=scheduled_id,
        Reason=reason,
        Details=details,
    )


def event_sent(
    at: datetime, event_id: int, instance_id: str, name: str, raw_input: str
) -> JsonDict:
    return _event(
        EventType.EVENT_SENT, at, event_id, InstanceId=instance_id, Name=name, Input=raw_input
    )


def event_raised(at: datetime, name: str, raw_input: str | None) -> JsonDict:
    return _event(EventType.EVENT_RAISED, at, Name=name, Input=raw_input)
