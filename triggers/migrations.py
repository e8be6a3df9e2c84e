"""Starting a migration and its dry run: the door, where every request is validated once."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from migration.arm.errors import ArmError
from migration.arm.inspection import inspect_and_plan
from migration.arm.selection import SelectedPage, select_page
from migration.config.settings import Settings, SettingsError
from migration.domain.body import FieldError, RequestInvalid
from migration.domain.request import ImageSpec, MigrationRequest
from migration.domain.selection import Cursor
from migration.domain.validation import parse_request
from migration.durable import claims
from triggers import door, responses, schemas, starting
from triggers.links import migration_links

bp = df.Blueprint()
log = logging.getLogger(__name__)

# Images of a scope a dry run plans per page (``top``), by default and at most.
PLAN_PAGE = 50
MAX_PLAN_PAGE = 200


def accept(req: func.HttpRequest) -> tuple[Settings, MigrationRequest] | func.HttpResponse:
    """The settings and the validated request, or the problem answer that refuses it.

    It may read ARM (the gallery subscription's regions), so async callers run it on a thread.
    """
    body = door.json_body(req)
    if isinstance(body, func.HttpResponse):
        return body
    try:
        settings = Settings.from_env()
        request = parse_request(body, door.request_limits(settings))
    except SettingsError as error:
        return responses.misconfigured(str(error))
    except RequestInvalid as error:
        return responses.bad_request(error.errors)
    except ArmError as error:
        log.warning("reading the subscription's regions: %s", error.message)
        return responses.arm_unavailable(
            f"Reading the gallery subscription's regions failed ({error.code or error.status}); "
            "try again later."
        )
    if outside := starting.out_of_scope(request, settings):
        return responses.out_of_scope(outside)
    return settings, request


@bp.route(route="migrations", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def start_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    # The region check may read ARM: off the event loop, as the worker runs a sync function.
    accepted = await asyncio.to_thread(accept, req)
    if isinstance(accepted, func.HttpResponse):
        return accepted
    settings, request = accepted
    outcome = await starting.start(client, request, settings, trigger="http")
    if isinstance(outcome, claims.Conflict):
        return _source_busy(req, outcome)
    links = migration_links(req, outcome.migration_id)
    body: dict[str, object] = {"id": outcome.migration_id}
    if settings.include_durable_links:
        # In Azure these carry the Durable extension's system key, which lets its holder raise
        # any event (an approval, a claim's release) or terminate and purge any instance.
        body.update(client.get_client_response_links(req, outcome.migration_id))
    body.update({"migrationId": outcome.migration_id, **links})
    log.info("started migration %s of %d image(s)", outcome.migration_id, len(request.images))
    headers = {"Location": links["statusUri"], "Retry-After": "10"}
    return responses.json_response(body, 202, headers, schema=schemas.Started)


def _source_busy(req: func.HttpRequest, conflict: claims.Conflict) -> func.HttpResponse:
    holder = conflict.migration_id
    return responses.conflict(
        f"Managed image {conflict.source} is being migrated by migration {holder}; "
        "wait for it to finish.",
        source=conflict.source,
        migrationId=holder,
        statusUri=migration_links(req, holder)["statusUri"] if holder else None,
    )


@bp.route(route="migrations/plan", methods=["POST"])
# Sync on purpose: it waits on ARM reads, and the worker runs sync functions on its thread pool.
def plan_migration(req: func.HttpRequest) -> func.HttpResponse:
    """A dry run: what would be created and what is in the way. Reads only; changes nothing.

    With scopes, it plans the selection a page at a time (``top`` images the filters take; the
    explicit images come on the first page) and answers with the ``continuationToken`` of the
    next page: post the same body again with ``?continuationToken=...``."""
    errors: list[FieldError] = []
    top = door.whole_number(req, "top", PLAN_PAGE, MAX_PLAN_PAGE, errors)
    token = req.params.get("continuationToken")
    cursor = Cursor.decode(token) if token else Cursor()
    if cursor is None:
        errors.append(FieldError(field="continuationToken", message="not a token this API gave"))
    if errors or cursor is None:
        return responses.bad_request(errors, "The query is not valid")
    accepted = accept(req)
    if isinstance(accepted, func.HttpResponse):
        return accepted
    settings, request = accepted
    try:
        page: SelectedPage | None = None
        selected: set[str] = set()
        if request.scopes:
            page = select_page(request.scopes, request.filters, cursor, top)
            explicit = list(request.images) if not token else []
            known = {i.source.lower() for i in explicit}
            chosen = [ImageSpec(source=s) for s in page.sources if s.lower() not in known]
            selected = {i.source.lower() for i in chosen}
            request = request.model_copy(update={"images": [*explicit, *chosen]})
        _, plan = inspect_and_plan(
            request, settings.plan_rules(), datetime.now(UTC), skip_migrated=selected
        )
    except ArmError as error:
        log.warning("plan: %s", error.message)
        return responses.arm_unavailable(
            f"Reading the gallery or the images failed ({error.code or error.status}); "
            "try again later."
        )
    body = plan.to_json()
    body["definitionsToCreate"] = [d.to_json() for d in plan.definitions_to_create]
    body["valid"] = not plan.problems and all(not i.problems for i in plan.images)
    if page is not None:
        body["selection"] = {"listed": page.listed, "selected": len(selected)}
        if page.next is not None:
            body["continuationToken"] = page.next.encode()
    return responses.json_response(body, schema=schemas.PlanAnswer)
