"""Reading migrations: one migration's status, and the list of recent ones."""

from __future__ import annotations

from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.state import Phase
from migration.domain.validation import FieldError
from migration.durable.jobs import MIGRATION_PREFIX, ORCHESTRATOR, watcher_id
from migration.durable.status import read_progress, read_state
from triggers import responses
from triggers.links import migration_links
from triggers.views import migration_view, summary_view

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
    progress = None
    if state.phase == Phase.REPLICATING:
        progress = read_progress(await client.get_status(watcher_id(migration_id)))
    view = migration_view(status, state, progress, migration_links(req, migration_id))
    return responses.json_response(view)


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
    top = DEFAULT_LIST
    raw = req.params.get("top")
    if raw is not None:
        if raw.isdigit() and 1 <= int(raw) <= MAX_LIST:
            top = int(raw)
        else:
            errors.append(FieldError(field="top", message=f"a number from 1 to {MAX_LIST}"))
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
