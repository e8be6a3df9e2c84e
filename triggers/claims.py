"""Taking and giving back the per-source claims that keep two migrations off one image."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.durable.jobs import CLAIM_ORCHESTRATOR, RELEASE_EVENT, claim_id, decoded

log = logging.getLogger(__name__)

ACTIVE = {
    df.OrchestrationRuntimeStatus.Running,
    df.OrchestrationRuntimeStatus.Pending,
    df.OrchestrationRuntimeStatus.ContinuedAsNew,
    df.OrchestrationRuntimeStatus.Suspended,
}
# A claim whose migration does not exist is stale only when older than this: a starter takes
# every claim first and starts the migration right after.
STALE_AFTER = timedelta(minutes=5)
# A released claim ends once the host processes the event; wait this long for that.
RELEASE_WAIT = 10.0
RELEASE_POLL = 0.2


@dataclass(frozen=True)
class Conflict:
    source: str
    migration_id: str | None


async def acquire(
    client: df.DurableOrchestrationClient, migration_id: str, sources: list[str]
) -> Conflict | None:
    """Claim every source for ``migration_id``, or none of them and say who holds which."""
    held: list[str] = []
    # One global order: two requests for the same sources in different orders cannot each
    # take one and both be refused.
    for source in sorted(sources, key=claim_id):
        claim = claim_id(source)
        found = await client.get_status(claim, show_input=True)
        holder = _holder(found)
        if holder is not None:
            migration = await client.get_status(holder)
            active = bool(migration) and migration.runtime_status in ACTIVE
            # A young claim whose migration does not exist yet is being taken right now: its
            # starter claims every source before it starts the migration.
            if active or (not migration and _young(found)):
                await release(client, migration_id, held)
                return Conflict(source, holder)
            # Its migration ended without releasing it (terminated by hand, or never started).
            log.warning("releasing stale claim %s of ended migration %s", claim, holder)
            await _force_release(client, claim)
        try:
            await client.start_new(
                CLAIM_ORCHESTRATOR,
                claim,
                {
                    "migrationId": migration_id,
                    "source": source,
                    "claimedAt": datetime.now(UTC).isoformat(),
                },
            )
        except Exception as error:
            # Durable refuses to start an instance whose id is running: someone claimed it first.
            log.info("claim %s refused: %s", claim, error)
            await release(client, migration_id, held)
            holder = _holder(await client.get_status(claim, show_input=True))
            if holder is None:
                raise  # not a refusal: the claim is not held, so something else went wrong
            return Conflict(source, holder)
        held.append(claim)
    return None


async def release(
    client: df.DurableOrchestrationClient, migration_id: str, claims: list[str]
) -> None:
    """Give back claims this starter took, and see them end before answering: a refused
    request must leave its other sources free for the next one."""
    for claim in claims:
        try:
            await client.raise_event(claim, RELEASE_EVENT, {"migrationId": migration_id})
        except Exception as error:
            log.info("claim %s not released: %s", claim, error)
    for claim in claims:
        await _until_ended(client, claim)


async def is_active(client: df.DurableOrchestrationClient, instance_id: str) -> bool:
    status = await client.get_status(instance_id)
    return bool(status) and status.runtime_status in ACTIVE


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


async def _force_release(client: df.DurableOrchestrationClient, claim: str) -> None:
    try:
        await client.raise_event(claim, RELEASE_EVENT, {"force": True})
    except Exception as error:
        # Its holder's own release got there first: the claim has ended, which is all we need.
        log.info("stale claim %s already ended: %s", claim, error)
        return
    await _until_ended(client, claim)


async def _until_ended(client: df.DurableOrchestrationClient, claim: str) -> None:
    """Released claims end as soon as the host runs them; wait a few seconds at most."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RELEASE_WAIT
    while loop.time() < deadline:
        if not await is_active(client, claim):
            return
        await asyncio.sleep(RELEASE_POLL)
