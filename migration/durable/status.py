"""The status read model: what a migration's instances publish, and reading it back typed.

A migration is several instances, each publishing its part as its custom status:

- the migration (``mig-<id>``): :class:`~migration.domain.state.MigrationState`, small whatever
  the fleet's size (the phase, counts, the selection, the approval, problems);
- each batch (``batch-mig-<id>-<n>``): :class:`~migration.domain.state.BatchSummary`, its phase
  and counts;
- each batch's replication watcher (``watch-batch-...``): :class:`ReplicationProgress`, each
  region's progress over the images it watches.

Each image's state in full (ids, every region, messages, its decision) is in its batch's images
entity (``entities.images``), since a batch of them would not fit Durable's 16 KB limit on a
custom status: nothing is ever cut. A completed instance keeps its last custom status. The HTTP
views read migrations only through this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from pydantic import Field, ValidationError

from migration.domain.facts import Data, RegionStatus
from migration.domain.state import BatchSummary, ImageState, MigrationState
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


def batch_status(state: BatchSummary) -> dict[str, Any]:
    return _published(state)


# -- the replication watcher's status ----------------------------------------------------------


class RegionProgress(Data):
    """One target region, over the images of a watcher (or of a whole migration)."""

    name: str
    completed: int = 0
    replicating: int = 0
    failed: int = 0
    # The sum of the copying images' progress.
    progress_total: int = 0

    @property
    def progress(self) -> int:
        """How much of the region's copying is done, over the images that did not fail (a
        completed image counts 100): it only grows as images finish."""
        counted = self.completed + self.replicating
        return round((self.progress_total + 100 * self.completed) / counted) if counted else 100


def region_progress(regions: Iterable[RegionStatus]) -> list[RegionProgress]:
    """Each region's counts and progress over the given regions of every image."""
    found: dict[str, RegionProgress] = {}
    for region in regions:
        entry = found.setdefault(region.name, RegionProgress(name=region.name))
        state = region.state.lower()
        if state == "completed":
            entry.completed += 1
        elif state == "failed":
            entry.failed += 1
        else:
            entry.replicating += 1
            entry.progress_total += region.progress
    return sorted(found.values(), key=lambda r: r.name)


def add_regions(parts: Iterable[Iterable[RegionProgress]]) -> list[RegionProgress]:
    """Watchers' region progress added up (one migration's regions)."""
    found: dict[str, RegionProgress] = {}
    for part in parts:
        for region in part:
            entry = found.setdefault(region.name, RegionProgress(name=region.name))
            entry.completed += region.completed
            entry.replicating += region.replicating
            entry.failed += region.failed
            entry.progress_total += region.progress_total
    return sorted(found.values(), key=lambda r: r.name)


class ReplicationProgress(Data):
    """What a replication watcher publishes: each region over its images, and counts by
    outcome (each image's regions go to its batch's images entity)."""

    polled_at: datetime | None = None
    rounds: int = 0
    regions: list[RegionProgress] = Field(default_factory=list)
    images: dict[str, int] = Field(default_factory=dict)

    def to_custom_status(self) -> dict[str, Any]:
        return _published(self)


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


def read_batch(status: DurableOrchestrationStatus) -> BatchSummary | None:
    custom = decoded(status.custom_status)
    if not isinstance(custom, dict):
        return None
    try:
        return BatchSummary.from_json(custom)
    except ValidationError:
        return None


def read_progress(status: DurableOrchestrationStatus | None) -> ReplicationProgress | None:
    progress = decoded(status.custom_status) if status else None
    return ReplicationProgress.from_json(progress) if isinstance(progress, dict) else None


def read_images(state: Any) -> list[ImageState]:
    """A batch's images, from its images entity's state, in the migration's order."""
    images = (state or {}).get("images") if isinstance(state, dict) else None
    if not isinstance(images, dict):
        return []
    found = []
    for item in images.values():
        try:
            found.append(ImageState.from_json(item))
        except ValidationError:
            continue
    return sorted(found, key=lambda image: image.index)


def fleet_summary(batches: Iterable[BatchSummary]) -> dict[str, int]:
    """Counts by image phase over a migration's batches."""
    total: dict[str, int] = {}
    for batch in batches:
        for phase, count in batch.summary.items():
            total[phase] = total.get(phase, 0) + count
    return total
