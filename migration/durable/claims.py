"""The per-source claim: how two migrations are kept off one managed image.

A claim is a tiny orchestration, :func:`hold_source`, whose instance id is derived from the source
image's id (:func:`claim_id`, the same for any casing). Durable refuses to start an instance whose
id is running, so starting it *is* taking the source, and it holds the source until it is told to
let go. Its input names the migration that holds it and when it was taken.

The protocol, end to end:

1. **Take** (:func:`acquire`, by a starter, before the migration exists): claim every source, in
   one global order (so two requests for the same sources in opposite orders cannot each take one
   and both be refused), or none: on the first source another live migration holds, give back what
   was taken and say who holds it. A claim whose holder has ended without releasing it (terminated
   by hand, or never started) is stale: it is released by force and taken. A claim younger than
   :data:`STALE_AFTER` whose migration does not exist yet is being taken right now and counts as
   held.
2. **Hold**: the migration's input lists its claims (:func:`claim_id` of each source).
3. **Release** (:func:`release`, the only release path: a refused starter, the migration's last
   activity, a cancel, and a starter taking a stale claim): raise :data:`RELEASE_EVENT` carrying
   the holder's migration id, or ``force`` for a stale claim. A claim ends only for its own
   holder's release (a late release from an earlier holder must not free a claim someone else
   holds now) or a forced one.

On Azure Storage, starting an instance with a fixed id is not strictly atomic, so two starts in the
same instant could both succeed; the delete step's own re-check is what keeps data safe then (see
the README's Limits).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.ids import source_key
from migration.durable import query
from migration.durable.jobs import ACTIVE, decoded

log = logging.getLogger(__name__)

CLAIM_ORCHESTRATOR = "hold_source"
RELEASE_EVENT = "Release"
CLAIM_PREFIX = "claim-"

# A claim whose migration does not exist is stale only when older than this: a starter takes
# every claim first and starts the migration right after.
STALE_AFTER = timedelta(minutes=5)
# A released claim ends once the host processes the event; a starter waits this long for that.
RELEASE_WAIT = 10.0
RELEASE_POLL = 0.2


def claim_id(source: str) -> str:
    """The instance id of the claim on ``source`` (the same for any casing of the id)."""
    return f"{CLAIM_PREFIX}{source_key(source)}"


@dataclass(frozen=True)
class Conflict:
    """A source another migration holds (``migration_id`` None when it could not be told)."""

    source: str
    migration_id: str | None


# -- the holding orchestration ---------------------------------------------------------------


def hold_source(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    """Hold a source until the holder (or a forced release) lets go of it."""
    holder = context.get_input() or {}
    context.set_custom_status({"migrationId": holder.get("migrationId")})
    while True:
        release = decoded((yield context.wait_for_external_event(RELEASE_EVENT)))
        release = release if isinstance(release, dict) else {}
        if release.get("force") or release.get("migrationId") == holder.get("migrationId"):
            return {"migrationId": holder.get("migrationId"), "forced": bool(release.get("force"))}


# -- taking and releasing, from a Durable client ---------------------------------------------


async def acquire(
    client: df.DurableOrchestrationClient, migration_id: str, sources: Iterable[str]
) -> Conflict | None:
    """Claim every source for ``migration_id``, or none of them and say who holds which."""
    held: list[str] = []
    try:
        for source in sorted(sources, key=claim_id):
            conflict = await _take(client, migration_id, source)
            if conflict is not None:
                await release(client, migration_id, held)
                return conflict
            held.append(claim_id(source))
    except BaseException:
        await release(client, migration_id, held)
        raise
    return None


async def take_each(
    client: df.DurableOrchestrationClient, migration_id: str, sources: Iterable[str]
) -> tuple[list[str], dict[str, str]]:
    """Claim each source that is free for ``migration_id``; the sources taken, and the holder
    of each that another migration holds (a selection skips those instead of refusing all).
    Taking a claim this migration already holds counts as taken (an activity runs again)."""
    taken: list[str] = []
    held: dict[str, str] = {}
    for source in sorted(sources, key=claim_id):
        conflict = await _take(client, migration_id, source)
        if conflict is None or conflict.migration_id == migration_id:
            taken.append(source)
        else:
            held[source] = conflict.migration_id or "unknown"
    return taken, held


async def release(
    client: df.DurableOrchestrationClient,
    migration_id: str,
    claims: Iterable[str],
    *,
    wait: bool = True,
    force: bool = False,
) -> int:
    """Give back ``claims`` held by ``migration_id``; return how many were told to end.

    With ``wait``, see them end before returning (a few seconds at most): a refused request must
    leave its other sources free for the next one. An activity does not wait: the host ends the
    claims right after. With ``force``, end them whoever holds them: a starter taking a stale
    claim (its holder has ended), where ``migration_id`` is the taker's and the event names no
    holder.
    """
    event: dict[str, object] = {"force": True} if force else {"migrationId": migration_id}
    told: list[str] = []
    for claim in claims:
        try:
            await client.raise_event(claim, RELEASE_EVENT, event)
            told.append(claim)
        except Exception as error:
            # It has ended already (its holder's own release got there first, or it was released
            # by force, or terminated): nothing to give back.
            log.info("claim %s not released: %s", claim, error)
    if wait:
        for claim in told:
            await _until_ended(client, claim)
    return len(told)


async def held_by(client: df.DurableOrchestrationClient, migration_id: str) -> list[str]:
    """Every live claim ``migration_id`` holds (those its starter took and those its selection
    took, batch started or not), listed from the claims themselves."""
    held = []
    async for found in query.every(client, prefix=CLAIM_PREFIX, runtime_status=list(ACTIVE)):
        if _holder(found) == migration_id:
            held.append(str(found.instance_id))
    return held


async def is_active(client: df.DurableOrchestrationClient, instance_id: str) -> bool:
    status = await client.get_status(instance_id)
    return bool(status) and status.runtime_status in ACTIVE


async def _take(
    client: df.DurableOrchestrationClient, migration_id: str, source: str
) -> Conflict | None:
    claim = claim_id(source)
    found = await client.get_status(claim, show_input=True)
    holder = _holder(found)
    if holder is not None:
        migration = await client.get_status(holder)
        active = bool(migration) and migration.runtime_status in ACTIVE
        # A young claim whose migration does not exist yet is being taken right now.
        if active or (not migration and _young(found)):
            return Conflict(source, holder)
        log.warning("releasing stale claim %s of ended migration %s", claim, holder)
        await release(client, migration_id, [claim], force=True)
    holding = {
        "migrationId": migration_id,
        "source": source,
        "claimedAt": datetime.now(UTC).isoformat(),
    }
    try:
        await client.start_new(CLAIM_ORCHESTRATOR, claim, holding)
    except Exception as error:
        # Durable refuses to start an instance whose id is running: someone claimed it first.
        log.info("claim %s refused: %s", claim, error)
        holder = _holder(await client.get_status(claim, show_input=True))
        if holder is None:
            raise  # not a refusal: the claim is not held, so something else went wrong
        return Conflict(source, holder)
    return None


def _young(claim: DurableOrchestrationStatus) -> bool:
    """Claimed moments ago, by the starters' own clock (the one that wrote ``claimedAt``)."""
    holder = decoded(claim.input_)
    try:
        claimed = datetime.fromisoformat(str(holder["claimedAt"]))
    except (TypeError, KeyError, ValueError):
        return False
    age: timedelta = datetime.now(UTC) - claimed
    return age < STALE_AFTER


def _holder(status: DurableOrchestrationStatus | None) -> str | None:
    if not status or status.runtime_status not in ACTIVE:
        return None
    holder = decoded(status.input_)
    if not isinstance(holder, dict):
        return "unknown"
    return str(holder.get("migrationId") or "unknown")


async def _until_ended(client: df.DurableOrchestrationClient, claim: str) -> None:
    """Released claims end as soon as the host runs them; wait a few seconds at most."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RELEASE_WAIT
    while loop.time() < deadline:
        if not await is_active(client, claim):
            return
        await asyncio.sleep(RELEASE_POLL)
