"""The status read model: a migration's custom status written, and read back as typed state.

A migration publishes its :class:`~migration.domain.state.MigrationState` as its custom status
(:func:`custom_status`) and returns it as its output; its replication watcher publishes
:class:`ReplicationProgress`. Durable keeps a custom status to 16 KB of UTF-16 JSON text (it fails
an orchestration that sets more), so a large state is cut down step by step (:data:`_DETAIL`);
:func:`read_state` reverses the cut where it can (an image's source comes back from the
migration's input, by position) and always answers with typed state:

- before the first episode has run: what the input says (every image ``planned``);
- while running: the custom status;
- once completed: the output.

The HTTP views, the list and the approval endpoints read migrations through :func:`read_state`
and :func:`read_job` only, never the raw JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from pydantic import Field, ValidationError

from migration.domain.facts import Data, RegionStatus
from migration.domain.state import ImagePhase, ImageState, MigrationState
from migration.durable.jobs import MigrationInput, decoded

# Durable Functions fails an orchestration whose custom status is over 16 KB of UTF-16 JSON
# text (8,192 characters); keep some room for how the SDK spaces its JSON.
CUSTOM_STATUS_LIMIT = 16 * 1024
CUSTOM_STATUS_BUDGET = CUSTOM_STATUS_LIMIT - 1024

# What each image keeps at each step of cutting a migration's custom status down. At the last
# step an image keeps only its phase.
_DETAIL: tuple[set[str], ...] = (
    {"source", "phase", "definition", "version", "versionId", "regions", "error", "keptReason"},
    {"source", "phase", "definition", "version"},
    {"phase", "definition", "version"},
    {"phase"},
)


def status_size(value: Any) -> int:
    """Bytes of UTF-16 JSON, as Durable measures a custom status (spaced as the SDK spaces it)."""
    return len(json.dumps(value).encode("utf-16-le"))


def _fit(status: dict[str, Any], levels: Sequence[set[str]]) -> dict[str, Any]:
    """Cut ``status["images"]`` entries to the keys of each level in turn until it fits."""
    for keep in levels:
        if status_size(status) <= CUSTOM_STATUS_BUDGET:
            break
        status["images"] = [{k: v for k, v in i.items() if k in keep} for i in status["images"]]
        status["truncated"] = True
    return status


def custom_status(state: MigrationState) -> dict[str, Any]:
    """A migration's custom status: its state, cut down to fit Durable's limit if it must be."""
    return _fit(state.model_dump(mode="json", by_alias=True, exclude_none=True), _DETAIL)


# -- the replication watcher's status ----------------------------------------------------------


class ImageProgress(Data):
    index: int
    state: str  # "replicating", "completed", "failed" or "timedOut"
    progress: int = 0
    regions: list[RegionStatus] = Field(default_factory=list)


class ReplicationProgress(Data):
    """What the replication watcher publishes: each watched image's regions, live."""

    polled_at: datetime | None = None
    rounds: int = 0
    images: list[ImageProgress] = Field(default_factory=list)

    def to_custom_status(self) -> dict[str, Any]:
        # Many images in many regions outgrow 16 KB: then each keeps its slowest region only.
        status = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for image in status["images"]:
            for region in image["regions"]:
                region.pop("details", None)
        return _fit(status, [{"index", "state", "progress"}])


# -- reading back --------------------------------------------------------------------------------


def read_job(status: DurableOrchestrationStatus) -> MigrationInput | None:
    """The migration's input, from ``get_status(..., show_input=True)``."""
    try:
        return MigrationInput.from_json(decoded(status.input_))
    except ValidationError:
        return None


def read_state(status: DurableOrchestrationStatus) -> MigrationState | None:
    """The migration's typed state, whatever stage of its life it is in (see the module doc).

    Reading the input takes ``get_status(..., show_input=True)``; without it, a migration whose
    first episode has not run yet has no state to show (``None``).
    """
    output = decoded(status.output)
    if status.runtime_status == df.OrchestrationRuntimeStatus.Completed and isinstance(
        output, dict
    ):
        return MigrationState.from_json(output)
    job = read_job(status) if status.input_ is not None else None
    custom = decoded(status.custom_status)
    if isinstance(custom, dict) and custom:
        asked = list(job.request.images) if job else []
        for index, image in enumerate(custom.get("images") or []):
            if isinstance(image, dict) and "source" not in image:
                image["source"] = asked[index].source if index < len(asked) else ""
        try:
            return MigrationState.from_json(custom)
        except ValidationError:
            pass  # not a migration's status (set by hand?): show what the input says
    if job is None:
        return None
    return MigrationState(
        migration_id=job.migration_id,
        gallery=job.request.gallery,
        delete_source=job.request.delete_source.value,
        trigger=job.trigger,
        images=[ImageState(source=image.source) for image in job.request.images],
    )


def read_progress(status: DurableOrchestrationStatus | None) -> ReplicationProgress | None:
    progress = decoded(status.custom_status) if status else None
    return ReplicationProgress.from_json(progress) if isinstance(progress, dict) else None


def merge_progress(state: MigrationState, progress: ReplicationProgress) -> None:
    """Show the watcher's live regions on each image still replicating."""
    for item in progress.images:
        if 0 <= item.index < len(state.images):
            image = state.images[item.index]
            if image.phase == ImagePhase.REPLICATING and item.regions:
                image.regions = item.regions
