"""Finding migrations for the list: every page of Durable's instance query, then filters.

Durable filters by instance-id prefix, runtime status and creation time itself; a migration's
gallery and sources are in its input, so those filters are applied here, on every page the query
answers (``migration.durable.query``), not only the first. On Azure Storage the pages come in
instance-id order, so the newest migrations can be anywhere: the list reads every page that
matches Durable's own filters (``createdAfter`` narrows that) and sorts what it keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from pydantic import ValidationError

from migration.domain.body import FieldError
from migration.domain.state import MigrationState
from migration.durable import query
from migration.durable.jobs import (
    MIGRATION_PREFIX,
    ORCHESTRATOR,
    BatchInput,
    MigrationInput,
    batch_prefix,
    decoded,
)
from migration.durable.status import read_job, read_state

# The longest filter value taken (a resource id is far shorter).
MAX_FILTER = 1000


@dataclass(frozen=True)
class Filters:
    """The filters Durable cannot apply: a gallery and a source image, each a resource id or
    just its name (any casing, as ARM compares ids)."""

    gallery: str | None = None
    source: str | None = None

    @classmethod
    def parse(cls, params: dict[str, str]) -> tuple[Filters, list[FieldError]]:
        errors = []
        found: dict[str, str | None] = {}
        for name in ("gallery", "source"):
            value = (params.get(name) or "").strip() or None
            if value is not None and (len(value) > MAX_FILTER or not value.isprintable()):
                errors.append(FieldError(field=name, message="a resource id or name"))
                value = None
            found[name] = value
        return cls(**found), errors


def same_resource(resource_id: str, wanted: str) -> bool:
    """``wanted`` (an id, or a bare name) names ``resource_id``."""
    resource_id = resource_id.strip().rstrip("/").lower()
    wanted = wanted.strip().rstrip("/").lower()
    if "/" in wanted:
        return resource_id == wanted
    return resource_id.rsplit("/", 1)[-1] == wanted


async def find(
    client: df.DurableOrchestrationClient,
    *,
    statuses: Sequence[df.OrchestrationRuntimeStatus],
    since: datetime | None,
    filters: Filters,
    top: int,
) -> list[tuple[DurableOrchestrationStatus, MigrationState | None]]:
    """The ``top`` newest migrations that pass every filter, with their state."""
    kept = []
    async for status in query.every(
        client, prefix=MIGRATION_PREFIX, created_from=since, runtime_status=statuses or None
    ):
        if status.name != ORCHESTRATOR:
            continue
        job = read_job(status) if status.input_ is not None else None
        state = read_state(status)
        if await _passes(client, status, job, state, filters):
            kept.append((status, state))
    oldest = datetime.min.replace(tzinfo=UTC)
    kept.sort(key=lambda found: found[0].created_time or oldest, reverse=True)
    return kept[:top]


async def _passes(
    client: df.DurableOrchestrationClient,
    status: DurableOrchestrationStatus,
    job: MigrationInput | None,
    state: MigrationState | None,
    filters: Filters,
) -> bool:
    if filters.gallery is not None:
        gallery = state.gallery if state else job.request.gallery if job else ""
        if not same_resource(gallery, filters.gallery):
            return False
    if filters.source is None:
        return True
    if job is None:
        return False
    if any(same_resource(i.source, filters.source) for i in job.request.images):
        return True
    if not job.request.scopes:
        return False
    # Images its scopes selected are named only in its batches' inputs.
    async for batch in query.every(client, prefix=batch_prefix(str(status.instance_id))):
        try:
            images = BatchInput.from_json(decoded(batch.input_)).request.images
        except (ValidationError, TypeError):
            continue
        if any(same_resource(i.source, filters.source) for i in images):
            return True
    return False
