"""Cancelling a migration: end it and everything it started, and give its sources back.

A migration is several instances (``migration.durable.status``): itself, its batches
(``batch-<id>-<k>``), each batch's replication watcher (``watch-batch-...``) and its notices
still being delivered (``notify-<id>-...``: a cancelled approval's reminder would mislead).
Durable's terminate ends one instance and none of its sub-orchestrations, so each is ended here,
through the app's own Durable client (no system key leaves the app), parents first so that none
starts another child meanwhile. Then what they held is given back: the subscription's version slots
each batch took or waited for (``entities.budget``), and every claim on a source
(``migration.durable.claims``' one release path), so that a new migration of the same images
can start at once.

A cancel deletes nothing and starts nothing that deletes: the versions made so far stay in the
gallery and every source not yet deleted is kept. A delete already under way when the cancel
arrives (an activity the host is running, approved and re-checked like any other) may finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel, ConfigDict, ValidationError

from migration.domain.body import field_errors
from migration.domain.ids import parse_gallery_id
from migration.durable import claims, query
from migration.durable.jobs import (
    ACTIVE,
    SLOTS_ENTITY,
    MigrationInput,
    batch_id,
    batch_prefix,
    watcher_id,
)
from migration.durable.status import read_job, read_state
from migration.notify.schedule import NOTIFY_PREFIX, is_notify_of
from triggers import door, responses, schemas
from triggers.links import migration_links
from triggers.status import find_migration

bp = df.Blueprint()
log = logging.getLogger(__name__)

# How long a cancel waits to see each generation of instances end, and how often it looks.
END_WAIT = 10.0
END_POLL = 0.1


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)
    by: door.Person | None = None
    reason: door.Reason | None = None

    def termination_reason(self) -> str:
        who = f"cancelled by {self.by}" if self.by else "cancelled"
        return f"{who}: {self.reason}" if self.reason else who


@bp.route(route="migrations/{id}/cancel", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def cancel_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    migration_id = req.route_params.get("id", "")
    body = _body(req)
    if isinstance(body, func.HttpResponse):
        return body
    status = await find_migration(client, migration_id)
    job = read_job(status) if status else None
    if status is None or job is None:
        return responses.migration_not_found(migration_id)
    if status.runtime_status not in ACTIVE:
        return responses.conflict(
            f"Migration {migration_id} has ended ({status.runtime_status.value}); "
            "there is nothing to cancel."
        )
    state = read_state(status)
    stopped = await cancel(client, job, state.batches if state else 0, body.termination_reason())
    log.info("migration %s cancelled: %s", migration_id, stopped)
    links = migration_links(req, migration_id)
    answer = {
        "migrationId": migration_id,
        "cancelled": True,
        "reason": body.termination_reason(),
        **stopped,
        "statusUri": links["statusUri"],
    }
    headers = {"Location": links["statusUri"]}
    return responses.json_response(answer, 202, headers, schema=schemas.CancelAnswer)


def _body(req: func.HttpRequest) -> CancelBody | func.HttpResponse:
    """The optional body: who cancels and why (recorded as the termination's reason)."""
    if not req.get_body():
        return CancelBody()
    raw = door.json_body(req)
    if isinstance(raw, func.HttpResponse):
        return raw
    try:
        return CancelBody.model_validate_json(raw)
    except ValidationError as error:
        return responses.bad_request(field_errors(error))


async def cancel(
    client: df.DurableOrchestrationClient, job: MigrationInput, batches: int, reason: str
) -> dict[str, object]:
    """End the migration, its batches and their watchers, then free their slots and claims;
    what was ended and released, and any instance not yet seen ended."""
    migration_id = job.migration_id
    prefix = batch_prefix(migration_id)
    lingering = await _end(client, [migration_id], reason)
    # Only now: the migration can start no more batches, nor a batch a watcher, once ended.
    listed = [s async for s in query.every(client, prefix=prefix)]
    live = [str(s.instance_id) for s in listed if s.runtime_status in ACTIVE]
    lingering += await _end(client, live, reason)
    watchers = [
        str(s.instance_id)
        async for s in query.every(client, prefix=watcher_id(prefix), runtime_status=list(ACTIVE))
    ]
    lingering += await _end(client, watchers, reason)
    notices = [
        str(s.instance_id)
        async for s in query.every(
            client, prefix=f"{NOTIFY_PREFIX}{migration_id}-", runtime_status=list(ACTIVE)
        )
        if is_notify_of(migration_id, str(s.instance_id))
    ]
    lingering += await _end(client, notices, reason)
    # A batch that waited for slots is in the entity's queue, ahead of other migrations' batches.
    owners = {batch_id(migration_id, k) for k in range(batches)}
    owners.update(str(s.instance_id) for s in listed)
    slots = df.EntityId(SLOTS_ENTITY, parse_gallery_id(job.request.gallery).subscription.lower())
    for owner in sorted(owners):
        await client.signal_entity(slots, "release", {"owner": owner})
    held = await claims.held_by(client, migration_id)
    released = await claims.release(client, migration_id, held)
    return {
        "batchesEnded": len(live),
        "watchersEnded": len(watchers),
        "noticesEnded": len(notices),
        "claimsReleased": released,
        "notYetEnded": lingering,
    }


async def _end(
    client: df.DurableOrchestrationClient, instances: Iterable[str], reason: str
) -> list[str]:
    """Terminate ``instances`` and wait (a few seconds at most) to see them end; those that
    have not ended by then (the host ends them once it gets to their termination)."""
    told = []
    for instance in instances:
        try:
            await client.terminate(instance, reason)
            told.append(instance)
        except Exception as error:
            # It is gone (purged) or ended between the listing and now: nothing to end.
            log.info("cancel: %s not terminated: %s", instance, error)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + END_WAIT
    while told:
        told = [i for i in told if await claims.is_active(client, i)]
        if not told or loop.time() >= deadline:
            return told
        await asyncio.sleep(END_POLL)
    return told
