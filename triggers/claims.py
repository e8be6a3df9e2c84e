"""Taking and giving back the per-source claims that keep two migrations off one image."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

import azure.durable_functions as df

from migration.jobs import CLAIM_ORCHESTRATOR, RELEASE_EVENT, claim_id

log = logging.getLogger(__name__)

ACTIVE = {
    df.OrchestrationRuntimeStatus.Running,
    df.OrchestrationRuntimeStatus.Pending,
    df.OrchestrationRuntimeStatus.ContinuedAsNew,
    df.OrchestrationRuntimeStatus.Suspended,
}
# A stale claim is released by an event; wait this long for it to end before giving up.
STALE_RELEASE_WAIT = 10.0
STALE_RELEASE_POLL = 0.2


@dataclass(frozen=True)
class Conflict:
    source: str
    migration_id: str | None


async def acquire(
    client: df.DurableOrchestrationClient, migration_id: str, sources: list[str]
) -> Conflict | None:
    """Claim every source for ``migration_id``, or none of them and say who holds which."""
    held: list[str] = []
    for source in sources:
        claim = claim_id(source)
        holder = await _holder(client, claim)
        if holder is not None:
            if await is_active(client, holder):
                await release(client, migration_id, held)
                return Conflict(source, holder)
            # Its migration ended without releasing it (terminated by hand, or it never started).
            log.warning("releasing stale claim %s of ended migration %s", claim, holder)
            await _force_release(client, claim)
        try:
            await client.start_new(
                CLAIM_ORCHESTRATOR, claim, {"migrationId": migration_id, "source": source}
            )
        except Exception as error:
            # Durable refuses to start an instance whose id is running: someone claimed it first.
            log.info("claim %s refused: %s", claim, error)
            await release(client, migration_id, held)
            return Conflict(source, await _holder(client, claim))
        held.append(claim)
    return None


async def release(
    client: df.DurableOrchestrationClient, migration_id: str, claims: list[str]
) -> None:
    for claim in claims:
        try:
            await client.raise_event(claim, RELEASE_EVENT, {"migrationId": migration_id})
        except Exception as error:
            log.info("claim %s not released: %s", claim, error)


async def is_active(client: df.DurableOrchestrationClient, instance_id: str) -> bool:
    status = await client.get_status(instance_id)
    return bool(status) and status.runtime_status in ACTIVE


async def _holder(client: df.DurableOrchestrationClient, claim: str) -> str | None:
    status = await client.get_status(claim, show_input=True)
    if not status or status.runtime_status not in ACTIVE:
        return None
    holder = status.input_
    if isinstance(holder, str):
        holder = json.loads(holder)
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
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STALE_RELEASE_WAIT
    while loop.time() < deadline:
        if not await is_active(client, claim):
            return
        await asyncio.sleep(STALE_RELEASE_POLL)
