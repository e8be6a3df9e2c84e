"""What the status, list and image-page endpoints show, built from the typed read model.

A migration's view is complete at its level whatever the fleet's size: counts by phase, each
region's aggregate progress, the approval, the problems, and the first page of images; every
image is in the paged image list (``/migrations/{id}/images``), never cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.state import (
    BatchState,
    ImagePhase,
    ImageState,
    MigrationState,
    Phase,
    outcome,
)
from migration.durable.jobs import decoded
from migration.durable.status import fleet_images

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


def image_json(image: ImageState) -> dict[str, Any]:
    return image.model_dump(mode="json", by_alias=True, exclude_none=True)


def region_progress(images: Sequence[ImageState]) -> list[dict[str, Any]]:
    """Each target region's aggregate: how many images completed, are copying or failed there,
    and the mean progress of those copying."""
    regions: dict[str, dict[str, Any]] = {}
    for image in images:
        for region in image.regions:
            entry = regions.setdefault(
                region.name,
                {"name": region.name, "completed": 0, "replicating": 0, "failed": 0, "progress": 0},
            )
            state = region.state.lower()
            key = state if state in ("completed", "failed") else "replicating"
            entry[key] += 1
            if key == "replicating":
                entry["progress"] += region.progress
    for entry in regions.values():
        if entry["replicating"]:
            entry["progress"] = round(entry["progress"] / entry["replicating"])
    return sorted(regions.values(), key=lambda r: str(r["name"]))


def _outcome(status: DurableOrchestrationStatus, summary: dict[str, int]) -> str | None:
    if status.runtime_status not in _ENDED or not summary:
        return None
    return outcome(summary).value


def migration_view(
    status: DurableOrchestrationStatus,
    state: MigrationState,
    batches: Sequence[BatchState],
    links: dict[str, str],
) -> dict[str, Any]:
    runtime = _runtime(status)
    images = fleet_images(batches)
    summary = _counts(images) if batches else state.summary
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
        "imageCount": max(state.images, len(images)),
        "batches": state.batches,
        "summary": summary,
        "regions": region_progress([i for i in images if i.phase == ImagePhase.REPLICATING]),
        "approval": shown["approval"],
        "selection": shown.get("selection"),
        "problems": state.problems + [p for b in batches for p in b.problems],
        "images": [image_json(i) for i in images[:FIRST_PAGE]],
        "error": None,
        "links": links,
    }
    if len(images) > FIRST_PAGE:
        view["imagesNextUri"] = f"{links['imagesUri']}?continuationToken={FIRST_PAGE}"
    if runtime == "Failed":
        view["error"] = str(decoded(status.output) or "the orchestration failed")
    elif runtime == "Terminated":
        view["error"] = f"terminated: {decoded(status.output) or 'no reason given'}"
    return view


def _counts(images: Sequence[ImageState]) -> dict[str, int]:
    found: dict[str, int] = {}
    for image in images:
        found[image.phase.value] = found.get(image.phase.value, 0) + 1
    return found


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
