"""What the status, list and image-page endpoints show, built from the typed read model.

A migration's view is complete at its level whatever the fleet's size: counts by phase, each
region's aggregate progress, the approval, the problems, and the first page of images; every
image is in the paged image list (``/migrations/{id}/images``), never cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.state import BatchSummary, ImageState, MigrationState, Phase, outcome
from migration.durable.jobs import decoded
from migration.durable.status import ReplicationProgress, add_regions, fleet_summary

_LIVE = {df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending}
_ENDED = {
    df.OrchestrationRuntimeStatus.Completed,
    df.OrchestrationRuntimeStatus.Failed,
    df.OrchestrationRuntimeStatus.Terminated,
}
# Images a migration's own view lists (the rest are a page away).
FIRST_PAGE = 100


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _runtime(status: DurableOrchestrationStatus) -> str:
    return status.runtime_status.value if status.runtime_status else "Unknown"


def awaiting_approval(status: DurableOrchestrationStatus, state: MigrationState) -> bool:
    return (
        status.runtime_status in _LIVE
        and state.phase == Phase.AWAITING_APPROVAL
        and state.approval.awaiting
    )


@dataclass
class Fleet:
    """A migration's batches (their summaries, and their instance ids) and watchers' progress."""

    batches: list[BatchSummary] = field(default_factory=list)
    instances: list[str] = field(default_factory=list)
    watchers: list[ReplicationProgress] = field(default_factory=list)


def image_json(image: ImageState) -> dict[str, Any]:
    return image.model_dump(mode="json", by_alias=True, exclude_none=True)


def regions_json(fleet: Fleet) -> list[dict[str, Any]]:
    """Each target region over the whole migration: images completed, copying, failed there,
    and the mean progress of those copying."""
    return [
        {
            "name": r.name,
            "completed": r.completed,
            "replicating": r.replicating,
            "failed": r.failed,
            "progress": r.progress,
        }
        for r in add_regions(w.regions for w in fleet.watchers)
    ]


def _outcome(status: DurableOrchestrationStatus, summary: dict[str, int]) -> str | None:
    """How an ended migration ended (one that failed before any image was counted, or that
    selected nothing, migrated none); ``None`` while it runs."""
    if status.runtime_status not in _ENDED:
        return None
    return outcome(summary).value


def migration_view(
    status: DurableOrchestrationStatus,
    state: MigrationState,
    fleet: Fleet,
    first: Sequence[ImageState],
    links: dict[str, str],
) -> dict[str, Any]:
    """The migration at its own level, with its first page of images (``first``)."""
    runtime = _runtime(status)
    summary = fleet_summary(fleet.batches) if fleet.batches else state.summary
    shown = state.model_dump(mode="json", by_alias=True, exclude_none=True)
    view: dict[str, Any] = {
        "id": status.instance_id,
        "runtimeStatus": runtime,
        "outcome": _outcome(status, summary),
        "createdTime": _time(status.created_time),
        "lastUpdatedTime": _time(status.last_updated_time),
        "phase": state.phase.value if runtime != "Failed" else None,
        "awaitingApproval": awaiting_approval(status, state),
        "gallery": state.gallery,
        "deleteSource": state.delete_source,
        "trigger": state.trigger,
        "imageCount": max(state.images, sum(summary.values())),
        "batches": state.batches,
        "summary": summary,
        "regions": regions_json(fleet),
        "approval": shown["approval"],
        "selection": shown.get("selection"),
        "problems": list(
            dict.fromkeys([*state.problems, *(p for b in fleet.batches for p in b.problems)])
        ),
        "moreProblems": state.more_problems + sum(b.more_problems for b in fleet.batches),
        "images": [image_json(i) for i in first],
        "error": None,
        "links": links,
    }
    if runtime == "Failed":
        view["error"] = str(decoded(status.output) or "the orchestration failed")
    elif runtime == "Terminated":
        view["error"] = f"terminated: {decoded(status.output) or 'no reason given'}"
    return view


def summary_view(
    status: DurableOrchestrationStatus, state: MigrationState | None, links: dict[str, str]
) -> dict[str, Any]:
    summary = state.summary if state else {}
    return {
        "id": status.instance_id,
        "runtimeStatus": _runtime(status),
        "outcome": _outcome(status, summary),
        "createdTime": _time(status.created_time),
        "lastUpdatedTime": _time(status.last_updated_time),
        "phase": state.phase.value if state else None,
        "gallery": state.gallery if state else None,
        "trigger": state.trigger if state else None,
        "images": state.images if state else 0,
        "summary": summary,
        "links": links,
    }
