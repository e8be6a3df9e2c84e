"""The HTTP API: start, plan, status, list, approve and reject migrations."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Annotated

import azure.durable_functions as df
import azure.functions as func
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from migration.arm.errors import ArmError
from migration.arm.inspection import inspect_and_plan
from migration.config.settings import Settings, SettingsError
from migration.domain.request import (
    DeleteSource,
    FieldError,
    MigrationRequest,
    RequestInvalid,
    field_errors,
    parse_request,
)
from migration.domain.state import ApprovalDecision, Phase
from migration.durable import claims
from migration.durable.jobs import APPROVAL_EVENT, ORCHESTRATOR, watcher_id
from triggers import problems, starting
from triggers.views import delete_policy, migration_state, migration_view, summary_view

bp = df.Blueprint()
log = logging.getLogger(__name__)

MAX_LIST = 200
# How long a decision waits to see the orchestration record it, and how often it looks.
DECISION_WAIT = 10.0
DECISION_POLL = 0.1


def _api_base(req: func.HttpRequest) -> str:
    """``https://host/api`` from this request's URL, for links back into this API."""
    url = str(req.url)
    marker = url.find("/migrations")
    return url[:marker] if marker >= 0 else url.rstrip("/")


def _links(req: func.HttpRequest, migration_id: str) -> dict[str, str]:
    base = f"{_api_base(req)}/migrations/{migration_id}"
    return {"statusUri": base, "approveUri": f"{base}/approve", "rejectUri": f"{base}/reject"}


def _accept(req: func.HttpRequest) -> tuple[Settings, MigrationRequest] | func.HttpResponse:
    """The settings and the validated request, or the problem answer that refuses it."""
    try:
        settings = Settings.from_env()
        request = parse_request(req.get_body(), settings.request_limits(datetime.now(UTC)))
    except SettingsError as error:
        return problems.misconfigured(str(error))
    except RequestInvalid as error:
        return problems.invalid(error.errors)
    if outside := starting.out_of_scope(request, settings):
        return problems.forbidden(outside)
    return settings, request


@bp.route(route="migrations", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    accepted = _accept(req)
    if isinstance(accepted, func.HttpResponse):
        return accepted
    settings, request = accepted
    outcome = await starting.start(client, request, settings, trigger="http")
    if isinstance(outcome, claims.Conflict):
        return _source_busy(req, outcome)
    links = _links(req, outcome.migration_id)
    body: dict[str, object] = {"id": outcome.migration_id}
    if settings.include_durable_links:
        # In Azure these carry the Durable extension's system key, which lets its holder raise
        # any event (an approval, a claim's release) or terminate and purge any instance.
        body.update(client.get_client_response_links(req, outcome.migration_id))
    body.update({"migrationId": outcome.migration_id, **links})
    log.info("started migration %s of %d image(s)", outcome.migration_id, len(request.images))
    return problems.json_response(body, 202, {"Location": links["statusUri"], "Retry-After": "10"})


def _source_busy(req: func.HttpRequest, conflict: claims.Conflict) -> func.HttpResponse:
    holder = conflict.migration_id
    return problems.conflict(
        f"Managed image {conflict.source} is being migrated by migration {holder}; "
        "wait for it to finish.",
        source=conflict.source,
        migrationId=holder,
        statusUri=_links(req, holder)["statusUri"] if holder else None,
    )


@bp.route(route="migrations/plan", methods=["POST"])
# Sync on purpose: it waits on ARM reads, and the worker runs sync functions on its thread pool.
def plan_migration(req: func.HttpRequest) -> func.HttpResponse:
    """A dry run: what would be created and what is in the way. Reads only; changes nothing."""
    accepted = _accept(req)
    if isinstance(accepted, func.HttpResponse):
        return accepted
    settings, request = accepted
    try:
        _, plan = inspect_and_plan(
            request,
            max_data_disk_gb=settings.max_data_disk_gb,
            default_publisher=settings.default_publisher,
        )
    except ArmError as error:
        log.warning("plan: %s", error.message)
        return problems.problem(
            502,
            "arm-error",
            "Azure Resource Manager did not answer a read",
            f"Reading the gallery or the images failed ({error.code or error.status}); "
            "try again later.",
        )
    body = plan.to_json()
    body["definitionsToCreate"] = [d.to_json() for d in plan.definitions_to_create]
    body["valid"] = not plan.problems and all(not i.problems for i in plan.images)
    return problems.json_response(body)


@bp.route(route="migrations/{id}", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def get_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    migration_id = req.route_params.get("id", "")
    status = await _migration(client, migration_id, show_input=True)
    if status is None:
        return problems.not_found(migration_id)
    watcher = None
    if migration_state(status).get("phase") == Phase.REPLICATING:
        watcher = await client.get_status(watcher_id(migration_id))
    return problems.json_response(migration_view(status, watcher, _links(req, migration_id)))


@bp.route(route="migrations", methods=["GET"])
@bp.durable_client_input(client_name="client")
async def list_migrations(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    wanted, top, since, errors = _list_query(req)
    if errors:
        return problems.invalid(errors, "The query is not valid")
    found = await client.get_status_by(
        created_time_from=since,
        instance_id_prefix=starting.MIGRATION_PREFIX,
        runtime_status=wanted or None,
    )
    mine = [s for s in found if s.name == ORCHESTRATOR]
    mine.sort(key=lambda s: s.created_time or datetime.min.replace(tzinfo=UTC), reverse=True)
    items = [summary_view(s, _links(req, str(s.instance_id))) for s in mine[:top]]
    return problems.json_response({"migrations": items, "count": len(items)})


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
    top = 50
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


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    by: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = Field(default=None)


@bp.route(route="migrations/{id}/approve", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def approve_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await _decide(req, client, approved=True)


@bp.route(route="migrations/{id}/reject", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def reject_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await _decide(req, client, approved=False)


async def _decide(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, *, approved: bool
) -> func.HttpResponse:
    migration_id = req.route_params.get("id", "")
    status = await _migration(client, migration_id, show_input=True)
    if status is None:
        return problems.not_found(migration_id)
    try:
        body = DecisionBody.model_validate_json(req.get_body() or b"{}")
    except ValidationError as error:
        return problems.invalid(field_errors(error))
    if status.runtime_status not in claims.ACTIVE:
        return problems.conflict(
            f"Migration {migration_id} has ended ({status.runtime_status.value}); "
            "there is nothing to decide."
        )
    # The input says it from the start; the custom status only once the first episode has run.
    policy = delete_policy(status)
    if policy != DeleteSource.AFTER_APPROVAL:
        return problems.conflict(
            f"Migration {migration_id} needs no approval: deleteSource is {policy.value}."
        )
    state = migration_state(status)
    earlier = state.get("approval") or {}
    if earlier.get("decision"):
        return problems.conflict(
            f"Migration {migration_id} was already {earlier['decision']} by {earlier.get('by')}."
        )
    if state.get("phase") != Phase.AWAITING_APPROVAL:
        # A decision is taken on what replication achieved; before that there is nothing to see.
        return problems.conflict(
            f"Migration {migration_id} is not waiting for approval yet (phase "
            f"{state.get('phase')}); decide once every image has replicated."
        )
    decision = ApprovalDecision(approved=approved, by=body.by, reason=body.reason)
    await client.raise_event(migration_id, APPROVAL_EVENT, decision.to_json())
    # Two people may decide at once; the orchestration takes the first event it sees. Answer
    # with what it recorded, so that the one who lost is told.
    recorded = await _recorded_decision(client, migration_id)
    verb = "approved" if approved else "rejected"
    if recorded and (recorded.get("decision"), recorded.get("by")) != (verb, body.by):
        return problems.conflict(
            f"Migration {migration_id} was already {recorded.get('decision')} by "
            f"{recorded.get('by')}."
        )
    log.info("migration %s %s by %s", migration_id, verb, body.by)
    answer = {
        "migrationId": migration_id,
        "decision": verb,
        "by": body.by,
        "reason": body.reason,
        "recorded": bool(recorded),
        "statusUri": _links(req, migration_id)["statusUri"],
    }
    return problems.json_response(answer, 202)


async def _recorded_decision(
    client: df.DurableOrchestrationClient, migration_id: str
) -> dict[str, object] | None:
    """The decision the orchestration recorded, once it has (waits a few seconds at most)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DECISION_WAIT
    while True:
        status = await client.get_status(migration_id)
        approval = migration_state(status).get("approval") or {} if status else {}
        if approval.get("decision") or not status or status.runtime_status not in claims.ACTIVE:
            return dict(approval) if approval.get("decision") else None
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(DECISION_POLL)


async def _migration(
    client: df.DurableOrchestrationClient, migration_id: str, *, show_input: bool = False
) -> DurableOrchestrationStatus | None:
    if not migration_id.startswith(starting.MIGRATION_PREFIX) or ":" in migration_id:
        return None
    status = await client.get_status(migration_id, show_input=show_input)
    if not status or status.name != ORCHESTRATOR:
        return None
    return status
