"""Reading migrations: one migration's status, its images in pages, and the list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.body import FieldError
from migration.domain.state import BatchSummary, ImagePhase, ImageState, MigrationState
from migration.durable import query
from migration.durable.jobs import (
    MIGRATION_PREFIX,
    ORCHESTRATOR,
    batch_prefix,
    images_entity,
    watcher_id,
)
from migration.durable.status import read_batch, read_job, read_progress, read_state
from migration.durable.status import read_images as read_images_state
from migration.notify.schedule import NoticeKind, notify_id
from migration.notify.sending import Deliveries, being_retried, with_deliveries
from triggers import door, listing, responses, schemas
from triggers.links import migration_links
from triggers.views import FIRST_PAGE, Fleet, image_json, migration_view, summary_view

bp = df.Blueprint()

MAX_LIST = 200
DEFAULT_LIST = 50


async def find_migration(
    client: df.DurableOrchestrationClient, migration_id: str
) -> DurableOrchestrationStatus | None:
    """The migration's Durable status with its input, or ``None`` for any other id."""
    if not migration_id.startswith(MIGRATION_PREFIX) or ":" in migration_id:
        return None
    status = await client.get_status(migration_id, show_input=True)
    if not status or status.name != ORCHESTRATOR:
        return None
    return status


async def find_state(
    client: df.DurableOrchestrationClient, migration_id: str
) -> tuple[DurableOrchestrationStatus, MigrationState] | None:
    """The migration's Durable status and its own state, or ``None`` for any other id."""
    status = await find_migration(client, migration_id)
    state = read_state(status) if status else None
    if status is None or state is None:
        return None
    if being_retried(state.problems):
        await _settle_outcome_notice(client, state)
    return status, state


async def _settle_outcome_notice(
    client: df.DurableOrchestrationClient, state: MigrationState
) -> None:
    """The migration ended while its outcome notice was still being retried: once those retries
    have ended (``notify-<id>-outcome``), its problems say how they went."""
    retries = await client.get_status(notify_id(state.migration_id, NoticeKind.OUTCOME, None))
    if not retries or retries.runtime_status != df.OrchestrationRuntimeStatus.Completed:
        return
    if isinstance(retries.output, dict):
        results = Deliveries.from_json(retries.output).results
        state.problems = with_deliveries(state.problems, results)


async def read_fleet(client: df.DurableOrchestrationClient, migration_id: str) -> Fleet:
    """A migration's batches and their watchers (two queries, whatever the fleet's size)."""
    prefix = batch_prefix(migration_id)
    batches: dict[str, BatchSummary] = {}
    async for found in query.every(client, prefix=prefix):
        if (batch := read_batch(found)) is not None:
            batches[str(found.instance_id)] = batch
    watchers = []
    async for found in query.every(client, prefix=watcher_id(prefix)):
        if (progress := read_progress(found)) is not None:
            watchers.append(progress)
    ordered = sorted(batches.items(), key=lambda item: item[1].batch)
    return Fleet(
        batches=[batch for _, batch in ordered],
        instances=[instance for instance, _ in ordered],
        watchers=watchers,
    )


# Where a page of images starts: a batch's number and a place in its images entity. Images
# are read batch by batch, and a batch holds the images of one definition wherever they stand
# in the request, so a request position cannot say where a page ends.
Start = tuple[int, int]


async def read_images(
    client: df.DurableOrchestrationClient,
    fleet: Fleet,
    *,
    start: Start = (0, 0),
    phases: Sequence[ImagePhase] = (),
    top: int,
) -> tuple[list[ImageState], Start | None]:
    """Images from ``start`` on (batch by batch, in each batch's own order), of the given
    phases, up to ``top``, reading only the images entities of batches that may hold them;
    and where the next page starts."""
    found: list[ImageState] = []
    wanted = {p.value for p in phases}
    for instance, batch in zip(fleet.instances, fleet.batches, strict=True):
        if batch.batch < start[0] or (wanted and not wanted & set(batch.summary)):
            continue
        stored = await client.read_entity_state(images_entity(instance))
        images = read_images_state(stored.entity_state if stored.entity_exists else None)
        first = start[1] if batch.batch == start[0] else 0
        for place, image in enumerate(images[first:], start=first):
            if wanted and image.phase.value not in wanted:
                continue
            if len(found) == top:
                return found, (batch.batch, place)
            found.append(image)
    return found, None


@bp.route(route="migrations/{id}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    migration_id = req.route_params.get("id", "")
    found = await find_state(client, migration_id)
    if found is None:
        return responses.migration_not_found(migration_id)
    status, state = found
    fleet = await read_fleet(client, migration_id)
    first, more = await read_images(client, fleet, top=FIRST_PAGE)
    if not fleet.batches and (job := read_job(status)) is not None:
        # No batch has started yet: the images asked for, as planned (scopes select later).
        first = [
            ImageState(index=n, source=spec.source)
            for n, spec in enumerate(job.request.images[:FIRST_PAGE])
        ]
    view = migration_view(status, state, fleet, first, migration_links(req, migration_id))
    if more is not None:
        view["imagesNextUri"] = _images_uri(req, migration_id, FIRST_PAGE, (), more)
    return responses.json_response(view, schema=schemas.MigrationView)


@bp.route(route="migrations/{id}/images", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def list_images(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    """A migration's images, in pages: every image in full, never cut."""
    migration_id = req.route_params.get("id", "")
    phases, top, start, errors = _images_query(req)
    if errors:
        return responses.bad_request(errors, "The query is not valid")
    status = await find_migration(client, migration_id)
    if status is None:
        return responses.migration_not_found(migration_id)
    fleet = await read_fleet(client, migration_id)
    page, more = await read_images(client, fleet, start=start, phases=phases, top=top)
    body: dict[str, Any] = {"images": [image_json(i) for i in page], "count": len(page)}
    if more is not None:
        body["continuationToken"] = page_token(more)
        body["nextUri"] = _images_uri(req, migration_id, top, phases, more)
    return responses.json_response(body, schema=schemas.ImagesPage)


def _images_uri(
    req: func.HttpRequest, migration_id: str, top: int, phases: Sequence[ImagePhase], start: Start
) -> str:
    parts = {"top": str(top), "continuationToken": page_token(start)}
    if phases:
        parts["phase"] = ",".join(p.value for p in phases)
    return f"{migration_links(req, migration_id)['imagesUri']}?{urlencode(parts)}"


def page_token(start: Start) -> str:
    """Where a page starts, as a client hands it back (``continuationToken``)."""
    return f"{start[0]}.{start[1]}"


def parse_page_token(token: str) -> Start | None:
    """The start a :func:`page_token` names, or ``None`` for anything else."""
    batch, dot, place = token.partition(".")
    if dot and _digits(batch) and _digits(place):
        return int(batch), int(place)
    return None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 9


def _images_query(
    req: func.HttpRequest,
) -> tuple[list[ImagePhase], int, Start, list[FieldError]]:
    errors: list[FieldError] = []
    phases: list[ImagePhase] = []
    for name in _items(req, "phase"):
        try:
            phases.append(ImagePhase(name))
        except ValueError:
            errors.append(FieldError(field="phase", message=f"unknown phase '{name}'"))
    top = door.whole_number(req, "top", DEFAULT_LIST, MAX_LIST, errors)
    start: Start | None = (0, 0)
    if (token := req.params.get("continuationToken")) is not None:
        start = parse_page_token(token)
    if start is None:
        errors.append(FieldError(field="continuationToken", message="not a token this API gave"))
        start = (0, 0)
    return phases, top, start, errors


def _items(req: func.HttpRequest, name: str) -> list[str]:
    """A comma-separated parameter's items, exactly as sent (an empty one is refused)."""
    raw = req.params.get(name)
    return [] if raw is None else raw.split(",")


@bp.route(route="migrations", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def list_migrations(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    wanted, top, since, errors = _list_query(req)
    filters, more_errors = listing.Filters.parse(dict(req.params))
    if errors or more_errors:
        return responses.bad_request(errors + more_errors, "The query is not valid")
    found = await listing.find(client, statuses=wanted, since=since, filters=filters, top=top)
    items = [summary_view(s, state, migration_links(req, str(s.instance_id))) for s, state in found]
    answer = {"migrations": items, "count": len(items)}
    return responses.json_response(answer, schema=schemas.MigrationList)


def _list_query(
    req: func.HttpRequest,
) -> tuple[list[df.OrchestrationRuntimeStatus], int, datetime | None, list[FieldError]]:
    errors = []
    wanted: list[df.OrchestrationRuntimeStatus] = []
    for name in _items(req, "runtimeStatus"):
        try:
            wanted.append(df.OrchestrationRuntimeStatus(name))
        except ValueError:
            errors.append(FieldError(field="runtimeStatus", message=f"unknown status '{name}'"))
    top = door.whole_number(req, "top", DEFAULT_LIST, MAX_LIST, errors)
    since = None
    if created_after := req.params.get("createdAfter"):
        try:
            since = datetime.fromisoformat(created_after)
        except ValueError:
            errors.append(
                FieldError(field="createdAfter", message="an ISO 8601 date or date and time")
            )
        else:
            since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return wanted, top, since, errors
