"""What the status and list endpoints show, built from Durable's instance statuses."""

from __future__ import annotations

import json
from typing import Any

import azure.durable_functions as df

from migration.progress import ImagePhase, Phase


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def migration_state(status: df.DurableOrchestrationStatus) -> dict[str, Any]:
    """The migration's own state: its result once completed, else its custom status."""
    runtime = status.runtime_status
    if runtime == df.OrchestrationRuntimeStatus.Completed and isinstance(
        _json(status.output), dict
    ):
        return dict(_json(status.output))
    custom = _json(status.custom_status)
    return dict(custom) if isinstance(custom, dict) else {}


def migration_view(
    status: df.DurableOrchestrationStatus,
    watcher: df.DurableOrchestrationStatus | None,
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
        view["error"] = str(_json(status.output) or "the orchestration failed")
    elif runtime == "Terminated":
        view["error"] = f"terminated: {_json(status.output) or 'no reason given'}"
    return view


def summary_view(status: df.DurableOrchestrationStatus, links: dict[str, str]) -> dict[str, Any]:
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


def _merge_replication(
    state: dict[str, Any], watcher: df.DurableOrchestrationStatus | None
) -> None:
    """Live per-region progress lives in the replication watcher's status; show it per image."""
    if watcher is None or not watcher:
        return
    progress = _json(watcher.custom_status)
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
