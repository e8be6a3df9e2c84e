"""What the status and list endpoints show, built from Durable's instance statuses."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.request import DeleteSource
from migration.domain.state import ImagePhase, Phase
from migration.durable.jobs import decoded


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def migration_state(status: DurableOrchestrationStatus) -> dict[str, Any]:
    """The migration's own state: its result once completed, else its custom status, else
    (before its first episode has run) what its input says."""
    output = decoded(status.output)
    if status.runtime_status == df.OrchestrationRuntimeStatus.Completed and isinstance(
        output, dict
    ):
        return dict(output)
    custom = decoded(status.custom_status)
    if isinstance(custom, dict) and custom:
        state = dict(custom)
        # A cut-down custom status leaves sources out: they are in the input, in the same order.
        asked = _from_input(status).get("images") or []
        for index, image in enumerate(state.get("images") or []):
            if "source" not in image and index < len(asked):
                image["source"] = asked[index]["source"]
        return state
    return _from_input(status)


def _from_input(status: DurableOrchestrationStatus) -> dict[str, Any]:
    job = decoded(status.input_)
    if not isinstance(job, dict) or not isinstance(job.get("request"), dict):
        return {}
    request = job["request"]
    return {
        "migrationId": status.instance_id,
        "gallery": request.get("gallery"),
        "deleteSource": request.get("deleteSource", DeleteSource.AFTER_APPROVAL.value),
        "trigger": job.get("trigger"),
        "phase": Phase.INSPECTING.value,
        "images": [
            {"source": image.get("source"), "phase": ImagePhase.PLANNED.value}
            for image in request.get("images") or []
            if isinstance(image, dict)
        ],
    }


def delete_policy(status: DurableOrchestrationStatus) -> DeleteSource:
    """The migration's delete policy, from its input (``get_status(show_input=True)``)."""
    job = decoded(status.input_)
    request = job.get("request") if isinstance(job, dict) else None
    value = request.get("deleteSource") if isinstance(request, dict) else None
    try:
        return DeleteSource(value or DeleteSource.AFTER_APPROVAL)
    except ValueError:
        return DeleteSource.AFTER_APPROVAL


def migration_view(
    status: DurableOrchestrationStatus,
    watcher: DurableOrchestrationStatus | None,
    links: dict[str, str],
) -> dict[str, Any]:
    state = migration_state(status)
    runtime = status.runtime_status.value if status.runtime_status else "Unknown"
    _merge_replication(state, watcher)
    approval = state.get("approval") or {}
    awaiting = (
        runtime in {"Running", "Pending"}
        and state.get("phase") == Phase.AWAITING_APPROVAL
        and not approval.get("decision")
    )
    view: dict[str, Any] = {
        "id": status.instance_id,
        "runtimeStatus": runtime,
        "createdTime": _time(status.created_time),
        "lastUpdatedTime": _time(status.last_updated_time),
        "phase": state.get("phase", Phase.INSPECTING.value if runtime != "Failed" else None),
        "awaitingApproval": awaiting,
        "gallery": state.get("gallery"),
        "deleteSource": state.get("deleteSource"),
        "trigger": state.get("trigger"),
        "approval": approval or None,
        "images": state.get("images", []),
        "problems": state.get("problems", []),
        "summary": state.get("summary"),
        "error": None,
        "links": links,
    }
    if runtime == "Failed":
        view["error"] = str(decoded(status.output) or "the orchestration failed")
    elif runtime == "Terminated":
        view["error"] = f"terminated: {decoded(status.output) or 'no reason given'}"
    return view


def summary_view(status: DurableOrchestrationStatus, links: dict[str, str]) -> dict[str, Any]:
    state = migration_state(status)
    images = state.get("images", [])
    counts: dict[str, int] = {}
    for image in images:
        phase = str(image.get("phase"))
        counts[phase] = counts.get(phase, 0) + 1
    return {
        "id": status.instance_id,
        "runtimeStatus": status.runtime_status.value if status.runtime_status else "Unknown",
        "createdTime": _time(status.created_time),
        "lastUpdatedTime": _time(status.last_updated_time),
        "phase": state.get("phase"),
        "gallery": state.get("gallery"),
        "trigger": state.get("trigger"),
        "images": len(images),
        "summary": counts,
        "links": links,
    }


def _merge_replication(state: dict[str, Any], watcher: DurableOrchestrationStatus | None) -> None:
    """Live per-region progress lives in the replication watcher's status; show it per image."""
    if watcher is None or not watcher:
        return
    progress = decoded(watcher.custom_status)
    if not isinstance(progress, dict):
        return
    images = state.get("images") or []
    for item in progress.get("images") or []:
        index = item.get("index")
        if isinstance(index, int) and 0 <= index < len(images):
            image = images[index]
            if image.get("phase") == ImagePhase.REPLICATING and item.get("regions"):
                image["regions"] = item["regions"]
    if progress.get("polledAt"):
        state["replicationPolledAt"] = progress["polledAt"]
