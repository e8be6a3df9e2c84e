"""The status read model: what a migration's instances publish, and reading it back typed.

A migration is several instances, each publishing its part as its custom status:

- the migration (``mig-<id>``): :class:`~migration.domain.state.MigrationState`, small whatever
  the fleet's size (the phase, counts, the selection, the approval, problems);
- each batch (``batch-mig-<id>-<n>``): :class:`~migration.domain.state.BatchState`, every image
  of the batch in full; a batch holds as many images as fit Durable's 16 KB limit on a custom
  status (``migration.domain.selection.batch_size``), so nothing is ever cut;
- each batch's replication watcher (``watch-batch-...``): :class:`ReplicationProgress`, every
  region of every image it watches, live.

A completed instance keeps its last custom status, so the batches' statuses hold each image's
final state too. The HTTP views read migrations only through this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from pydantic import Field, ValidationError

from migration.domain.facts import Data, RegionStatus
from migration.domain.state import BatchState, ImagePhase, ImageState, MigrationState, counts
from migration.durable.jobs import MigrationInput, decoded

# Durable Functions fails an orchestration whose custom status is over 16 KB of UTF-16 JSON
# text (8,192 characters).
CUSTOM_STATUS_LIMIT = 16 * 1024


def status_size(value: Any) -> int:
    """Bytes of UTF-16 JSON, as Durable measures a custom status (spaced as the SDK spaces it)."""
    return len(json.dumps(value).encode("utf-16-le"))


def _published(state: Data) -> dict[str, Any]:
    status = state.model_dump(mode="json", by_alias=True, exclude_none=True)
    if status_size(status) > CUSTOM_STATUS_LIMIT:
        # Batches are sized so that this cannot happen; failing loudly beats failing the instance.
        raise ValueError(f"a status of {status_size(status)} bytes is over Durable's limit")
    return status


def migration_status(state: MigrationState) -> dict[str, Any]:
    return _published(state)


def batch_status(state: BatchState) -> dict[str, Any]:
    return _published(state)


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
        status = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for image in status["images"]:
            for region in image["regions"]:
                region.pop("details", None)
        return _published_dict(status)


def _published_dict(status: dict[str, Any]) -> dict[str, Any]:
    if status_size(status) > CUSTOM_STATUS_LIMIT:
        raise ValueError(f"a status of {status_size(status)} bytes is over Durable's limit")
    return status


# -- reading back --------------------------------------------------------------------------------


def read_job(status: DurableOrchestrationStatus) -> MigrationInput | None:
    """The migration's input, from ``get_status(..., show_input=True)``."""
    try:
        return MigrationInput.from_json(decoded(status.input_))
    except ValidationError:
        return None


def read_state(status: DurableOrchestrationStatus) -> MigrationState | None:
    """The migration's own state: its custom status once its first episode has run, else what
    its input says (``get_status(..., show_input=True)``); ``None`` when neither can be read."""
    custom = decoded(status.custom_status)
    if isinstance(custom, dict) and custom:
        try:
            return MigrationState.from_json(custom)
        except ValidationError:
            pass  # not a migration's status (set by hand?): show what the input says
    job = read_job(status) if status.input_ is not None else None
    if job is None:
        return None
    return MigrationState(
        migration_id=job.migration_id,
        gallery=job.request.gallery,
        delete_source=job.request.delete_source.value,
        trigger=job.trigger,
        images=len(job.request.images),
    )


def read_batch(status: DurableOrchestrationStatus) -> BatchState | None:
    custom = decoded(status.custom_status)
    if not isinstance(custom, dict):
        return None
    try:
        return BatchState.from_json(custom)
    except ValidationError:
        return None


def read_progress(status: DurableOrchestrationStatus | None) -> ReplicationProgress | None:
    progress = decoded(status.custom_status) if status else None
    return ReplicationProgress.from_json(progress) if isinstance(progress, dict) else None


def merge_progress(images: list[ImageState], progress: ReplicationProgress) -> None:
    """Show the watcher's live regions on each image of its batch still replicating."""
    for item in progress.images:
        if 0 <= item.index < len(images):
            image = images[item.index]
            if image.phase == ImagePhase.REPLICATING and item.regions:
                image.regions = item.regions


def fleet_images(batches: Iterable[BatchState]) -> list[ImageState]:
    """Every image of a migration's batches, in the migration's order."""
    return sorted((i for b in batches for i in b.images), key=lambda image: image.index)


def fleet_summary(batches: Iterable[BatchState]) -> dict[str, int]:
    return counts(fleet_images(batches))
