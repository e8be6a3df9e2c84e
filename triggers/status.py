"""Reading migrations: one migration's status, its images in pages, and the list."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.state import BatchState, ImagePhase, Phase
from migration.domain.validation import FieldError
from migration.durable import query
from migration.durable.jobs import MIGRATION_PREFIX, ORCHESTRATOR, batch_prefix, watcher_id
from migration.durable.status import (
    fleet_images,
    merge_progress,
    read_batch,
    read_progress,
    read_state,
)
from triggers import responses
from triggers.links import migration_links
from triggers.views import image_json, migration_view, summary_view

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


async def read_batches(
    client: df.DurableOrchestrationClient, migration_id: str
) -> list[BatchState]:
    """Every batch of a migration, with the live regions of the images still replicating."""
    batches: dict[str, BatchState] = {}
    async for found in query.every(client, prefix=batch_prefix(migration_id)):
        if (batch := read_batch(found)) is not None:
            batches[str(found.instance_id)] = batch
    replicating = {i for i, b in batches.items() if b.phase == Phase.REPLICATING}
    if replicating:
        async for found in query.every(client, prefix=watcher_id(batch_prefix(migration_id))):
            batch_instance = str(found.instance_id).removeprefix(watcher_id(""))
            progress = read_progress(found)
            if batch_instance in replicating and progress is not None:
                merge_progress(batches[batch_instance].images, progress)
    return sorted(batches.values(), key=lambda b: b.batch)


@bp.route(route="migrations/{id}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    migration_id = req.route_params.get("id", "")
    status = await find_migration(client, migration_id)
    state = read_state(status) if status else None
    if status is None or state is None:
        return responses.migration_not_found(migration_id)
    batches = await read_batches(client, migration_id)
    view = migration_view(status, state, batches, migration_links(req, migration_id))
    return responses.json_response(view)


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
    images = fleet_images(await read_batches(client, migration_id))
    wanted = [i for i in images if i.index >= start and (not phases or i.phase in phases)]
    page = wanted[:top]
    body: dict[str, Any] = {"images": [image_json(i) for i in page], "count": len(page)}
    if len(wanted) > top:
        token = str(wanted[top].index)
        body["continuationToken"] = token
        query_string = urlencode(
            {
                "top": top,
                "continuationToken": token,
                **({"phase": ",".join(phases)} if phases else {}),
            }
        )
        body["nextUri"] = f"{migration_links(req, migration_id)['imagesUri']}?{query_string}"
    return responses.json_response(body)


def _images_query(req: func.HttpRequest) -> tuple[list[ImagePhase], int, int, list[FieldError]]:
    errors: list[FieldError] = []
    phases: list[ImagePhase] = []
    for name in filter(None, (req.params.get("phase") or "").split(",")):
        try:
            phases.append(ImagePhase(name.strip()))
        except ValueError:
            errors.append(FieldError(field="phase", message=f"unknown phase '{name}'"))
    top = _whole(req, "top", DEFAULT_LIST, MAX_LIST, errors)
    start = _whole(req, "continuationToken", 0, 10**9, errors, minimum=0)
    return phases, top, start, errors


def _whole(
    req: func.HttpRequest,
    name: str,
    default: int,
    maximum: int,
    errors: list[FieldError],
    *,
    minimum: int = 1,
) -> int:
    raw = req.params.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and minimum <= int(raw) <= maximum:
        return int(raw)
    errors.append(FieldError(field=name, message=f"a whole number from {minimum} to {maximum}"))
    return default


@bp.route(route="migrations", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def list_migrations(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    wanted, top, since, errors = _list_query(req)
    if errors:
        return responses.bad_request(errors, "The query is not valid")
    found = await client.get_status_by(
        created_time_from=since,
        instance_id_prefix=MIGRATION_PREFIX,
        runtime_status=wanted or None,
    )
    mine = [s for s in found if s.name == ORCHESTRATOR]
    mine.sort(key=lambda s: s.created_time or datetime.min.replace(tzinfo=UTC), reverse=True)
    items = [
        summary_view(s, read_state(s), migration_links(req, str(s.instance_id))) for s in mine[:top]
    ]
    return responses.json_response({"migrations": items, "count": len(items)})


def _list_query(
    req: func.HttpRequest,
) -> tuple[list[df.OrchestrationRuntimeStatus], int, datetime | None, list[FieldError]]:
    errors = []
    wanted: list[df.OrchestrationRuntimeStatus] = []
    for name in filter(None, (req.params.get("runtimeStatus") or "").split(",")):
        try:
            wanted.append(df.OrchestrationRuntimeStatus(name.strip()))
        except ValueError:
            errors.append(FieldError(field="runtimeStatus", message=f"unknown status '{name}'"))
    top = _whole(req, "top", DEFAULT_LIST, MAX_LIST, errors)
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
