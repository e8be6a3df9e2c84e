"""What the status and list endpoints show, built from the typed read model."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.state import MigrationState, Phase
from migration.durable.jobs import decoded
from migration.durable.status import ReplicationProgress, merge_progress

_LIVE = {df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending}
_ENDED = {
    df.OrchestrationRuntimeStatus.Completed,
    df.OrchestrationRuntimeStatus.Failed,
    df.OrchestrationRuntimeStatus.Terminated,
}


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _runtime(status: DurableOrchestrationStatus) -> str:
    return status.runtime_status.value if status.runtime_status else "Unknown"


def _outcome(status: DurableOrchestrationStatus, state: MigrationState | None) -> str | None:
    if state is None:
        return None
    outcome = state.outcome(ended=status.runtime_status in _ENDED)
    return outcome.value if outcome else None


def awaiting_approval(status: DurableOrchestrationStatus, state: MigrationState) -> bool:
    return (
        status.runtime_status in _LIVE
        and state.phase == Phase.AWAITING_APPROVAL
        and state.approval.decision is None
    )


def migration_view(
    status: DurableOrchestrationStatus,
    state: MigrationState,
    progress: ReplicationProgress | None,
    links: dict[str, str],
) -> dict[str, Any]:
    runtime = _runtime(status)
    if progress is not None:
        merge_progress(state, progress)
    shown = state.model_dump(mode="json", by_alias=True, exclude_none=True)
    view: dict[str, Any] = {
        "id": status.instance_id,
        "runtimeStatus": runtime,
        "outcome": _outcome(status, state),
        "createdTime": _time(status.created_time),
        "lastUpdatedTime": _time(status.last_updated_time),
        "phase": state.phase.value if runtime != "Failed" else None,
        "awaitingApproval": awaiting_approval(status, state),
        "gallery": state.gallery,
        "deleteSource": state.delete_source,
        "trigger": state.trigger,
        "approval": shown["approval"],
        "images": shown["images"],
        "problems": state.problems,
        "summary": state.summary(),
        "error": None,
        "links": links,
    }
    if progress is not None and progress.polled_at is not None:
        view["replicationPolledAt"] = progress.polled_at.isoformat()
    if runtime == "Failed":
        view["error"] = str(decoded(status.output) or "the orchestration failed")
    elif runtime == "Terminated":
        view["error"] = f"terminated: {decoded(status.output) or 'no reason given'}"
    return view


def summary_view(
    status: DurableOrchestrationStatus, state: MigrationState | None, links: dict[str, str]
) -> dict[str, Any]:
    return {
        "id": status.instance_id,
        "runtimeStatus": _runtime(status),
        "outcome": _outcome(status, state),
        "createdTime": _time(status.created_time),
        "lastUpdatedTime": _time(status.last_updated_time),
        "phase": state.phase.value if state else None,
        "gallery": state.gallery if state else None,
        "trigger": state.trigger if state else None,
        "images": len(state.images) if state else 0,
        "summary": state.summary() if state else {},
        "links": links,
    }
