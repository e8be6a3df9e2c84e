"""Cancelling a migration: it, its batches, their watchers and its notices end, its slots and
claims are given back, and no source is ever deleted by it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from migration.durable.claims import claim_id
from migration.durable.jobs import batch_id, watcher_id
from migration.notify.schedule import NoticeKind, notify_id
from tests.e2e.notifying import SLACK, notifying_stack
from tests.e2e.test_migration import APP, WEB, request
from tests.stack import TERMINAL, Stack

PROBLEM = "application/problem+json"


def replicating(status: dict[str, Any]) -> bool:
    return status["runtimeStatus"] in TERMINAL or any(
        i.get("phase") == "replicating" for i in status["images"]
    )


def runtime(stack: Stack, instance_id: str) -> str | None:
    found = stack.host.get_status(instance_id)
    return str(found["runtimeStatus"]) if found else None


async def run_out(stack: Stack) -> None:
    """Fire every durable timer left (a cancelled migration must leave none that acts)."""
    while await stack.host.advance_to_next_timer():
        pass


async def test_cancel_while_replicating_ends_everything_and_deletes_nothing(
    stack: Stack,
) -> None:
    migration_id = await stack.start(request(deleteSource="afterReplication"))
    await stack.until(replicating, migration_id)
    batch = batch_id(migration_id, 0)
    assert runtime(stack, watcher_id(batch)) == "Running"
    answer = await stack.call(
        "POST", f"migrations/{migration_id}/cancel", {"by": "ops", "reason": "wrong regions"}
    )
    assert answer.status == 202, answer.body
    assert answer.headers["Location"].endswith(f"/api/migrations/{migration_id}")
    assert answer.body["batchesEnded"] == 1
    assert answer.body["watchersEnded"] == 1
    assert answer.body["claimsReleased"] == 1
    assert answer.body["notYetEnded"] == []
    for instance in (migration_id, batch, watcher_id(batch)):
        assert runtime(stack, instance) == "Terminated", instance
    assert runtime(stack, claim_id(WEB)) == "Completed"
    await run_out(stack)
    assert stack.image_exists(WEB)
    status = await stack.status(migration_id)
    assert status["runtimeStatus"] == "Terminated"
    assert status["outcome"] == "noneMigrated"
    assert status["error"] == "terminated: cancelled by ops: wrong regions"
    # The claim is free at once: a new migration of the source starts; once the version the
    # cancelled one made has replicated (ARM goes on without it), the new one adopts it.
    stack.clock.advance(timedelta(hours=12))
    again = await stack.start(request(deleteSource="never"))
    final = await stack.finish(again)
    assert final["outcome"] == "allMigrated", final["images"][0].get("error")
    assert (final["images"][0]["phase"], final["images"][0]["version"]) == ("kept", "1.0.0")
    assert stack.image_exists(WEB)


async def test_cancel_while_awaiting_approval_keeps_every_source(stack: Stack) -> None:
    migration_id = await stack.start(request(WEB, APP))
    assert (await stack.awaiting_approval(migration_id))["awaitingApproval"]
    answer = await stack.call("POST", f"migrations/{migration_id}/cancel")
    assert answer.status == 202, answer.body
    assert answer.body["reason"] == "cancelled"
    assert answer.body["claimsReleased"] == 2
    late = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "late"})
    assert late.status == 409
    await run_out(stack)
    assert stack.image_exists(WEB)
    assert stack.image_exists(APP)
    status = await stack.status(migration_id)
    # The copies exist (the sources are kept): every image counts as migrated.
    assert (status["runtimeStatus"], status["outcome"]) == ("Terminated", "allMigrated")
    assert status["awaitingApproval"] is False


@pytest.mark.parametrize("app_settings", [{"MAX_CONCURRENT_VERSIONS": "1"}])
async def test_cancel_gives_back_the_version_slots(stack: Stack) -> None:
    first = await stack.start(request(WEB, deleteSource="never"))
    await stack.until(replicating, first)
    # With one slot, the second migration's batch waits for the first's.
    second = await stack.start(request(APP, deleteSource="never"))
    waiting = await stack.status(second)
    assert not replicating(waiting)
    assert (await stack.call("POST", f"migrations/{first}/cancel")).status == 202
    assert (await stack.finish(second))["outcome"] == "allMigrated"


async def test_cancel_answers_as_the_rest_of_the_api(stack: Stack) -> None:
    unknown = await stack.call("POST", "migrations/mig-0000/cancel")
    assert (unknown.status, unknown.content_type) == (404, PROBLEM)
    # Internal instances are not migrations: a claim cannot be cancelled through this.
    migration_id = await stack.start(request(deleteSource="never"))
    assert (await stack.call("POST", f"migrations/{claim_id(WEB)}/cancel")).status == 404
    bad = await stack.call("POST", f"migrations/{migration_id}/cancel", {"by": "", "when": 1})
    assert (bad.status, bad.content_type) == (400, PROBLEM)
    assert {e["field"] for e in bad.body["errors"]} == {"by", "when"}
    await stack.finish(migration_id)
    ended = await stack.call("POST", f"migrations/{migration_id}/cancel")
    assert (ended.status, ended.content_type) == (409, PROBLEM)
    assert "has ended (Completed)" in ended.body["detail"]


async def test_cancel_stops_the_notices_still_being_delivered() -> None:
    async with notifying_stack() as told:
        stack, inbox = told.stack, told.inbox
        inbox.fail(SLACK, *[500] * 50)
        migration_id = await stack.start(request(WEB))
        await stack.awaiting_approval(migration_id)
        await stack.host.run_until_idle()
        asked = notify_id(migration_id, NoticeKind.AWAITING, 0)
        assert runtime(stack, asked) == "Running"  # Slack's retry waits on a timer
        answer = await stack.call("POST", f"migrations/{migration_id}/cancel")
        assert answer.status == 202, answer.body
        assert answer.body["noticesEnded"] == 1
        assert runtime(stack, asked) == "Terminated"
        await run_out(stack)
        # Nobody is asked again to decide on a cancelled migration.
        assert inbox.tried(SLACK, asked) == 1
        assert stack.image_exists(WEB)
