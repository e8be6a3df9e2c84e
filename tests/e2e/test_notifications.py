"""Notifications through the whole stack: who is told what and when, and that a destination
that fails never holds up or fails a migration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from migration.notify.schedule import NoticeKind, notify_id
from tests.e2e.notifying import JSON, SLACK, TEAMS, Told, notifying_stack
from tests.e2e.test_cancel import runtime
from tests.e2e.test_migration import APP, WEB, request


@pytest.fixture
async def told() -> AsyncIterator[Told]:
    async with notifying_stack(
        APPROVAL_REMINDER_INTERVAL="PT12H", APPROVAL_ESCALATION_BEFORE="PT6H"
    ) as opened:
        yield opened


async def test_awaited_reminders_escalation_and_outcome(told: Told) -> None:
    stack, inbox = told.stack, told.inbox
    migration_id = await stack.start(request(WEB, APP, approvalTimeout="P2D"))
    waiting = await stack.awaiting_approval(migration_id)
    asked = stack.clock.now()
    assert waiting["awaitingApproval"]
    await stack.host.run_until_idle()
    for path in (TEAMS, SLACK, JSON):
        assert [m.event for m in inbox.to(path)] == ["approvalAwaited"], path
    notice = inbox.to(JSON)[0].body
    assert notice["schema"].endswith("/notice")
    assert notice["version"] == 1
    assert notice["migrationId"] == migration_id
    assert notice["approval"]["undecided"] == 2
    assert {i["name"] for i in notice["images"]} == {"images-rg/web", "images-rg/app"}
    assert all(i["version"] == "1.0.0" for i in notice["images"])
    assert {r["name"] for r in notice["images"][0]["regions"]} == {"eastus", "westus2"}
    assert notice["links"]["approve"].startswith(stack.base_url + "/api/approvals/v1.")
    # No key of any kind travels in a link.
    assert "code=" not in str(notice["links"])

    # Two days to decide: reminders at 12 h, 24 h and 36 h would be the last before the
    # escalation at 42 h, so 12, 24, 36, then the escalation.
    await stack.host.run_until(
        lambda: len(inbox.to(TEAMS, "approvalEscalation")) == 1, max_timers=200
    )
    events = [m.event for m in inbox.to(TEAMS)]
    assert events == ["approvalAwaited"] + ["approvalReminder"] * 3 + ["approvalEscalation"]
    assert stack.clock.now() - asked >= timedelta(hours=42)
    escalation = inbox.to(SLACK, "approvalEscalation")[0].body
    assert escalation["blocks"][1]["text"]["text"].startswith("<!here>")
    # Each round carries new links.
    rounds = [m.body["round"] for m in inbox.to(JSON)]
    assert rounds == [0, 1, 2, 3, 4]

    final = await stack.finish(migration_id)
    assert final["approval"]["timedOut"] == 2
    await stack.host.run_until_idle()
    outcome = inbox.to(JSON, "migrationFinished")
    assert len(outcome) == 1
    assert outcome[0].body["summary"] == {"kept": 2}
    assert outcome[0].body["links"]["approve"] is None
    reasons = [i["keptReason"] for i in outcome[0].body["images"]]
    assert all("approval timeout" in (r or "") for r in reasons), reasons


async def test_a_failing_destination_never_holds_the_migration(told: Told) -> None:
    stack, inbox = told.stack, told.inbox
    inbox.fail(SLACK, 500, 503)  # the outcome's first try, and its first retry
    migration_id = await stack.start(request(WEB, deleteSource="afterReplication"))
    final = await stack.finish(migration_id)
    # The migration ended after one try of each destination; Slack is named, tried again later.
    assert final["runtimeStatus"] == "Completed"
    assert final["images"][0]["sourceDeleted"] is True
    assert len(inbox.to(TEAMS, "migrationFinished")) == 1
    assert inbox.to(SLACK) == []
    assert final["problems"] == [
        "notifications to slack #1 (127.0.0.1) failed: HTTP 500: try later "
        "(tried again for up to 85 minutes)"
    ]
    retries = notify_id(migration_id, NoticeKind.OUTCOME, None)
    assert runtime(stack, retries) == "Running"
    ended_at = stack.clock.now()
    await stack.host.run_until(lambda: runtime(stack, retries) == "Completed", max_timers=10)
    # Retried after 1 minute (503), then 4 minutes on: taken.
    assert stack.clock.now() - ended_at >= timedelta(minutes=5)
    (slack,) = inbox.to(SLACK, "migrationFinished")
    assert inbox.tried(SLACK) == 3
    teams = inbox.to(TEAMS, "migrationFinished")[0]
    # Every copy of one notice carries its id, so that receivers can drop a second one.
    assert slack.headers["X-Gallery-Migrator-Notice"] == retries
    assert teams.headers["X-Gallery-Migrator-Notice"] == retries
    assert inbox.to(JSON, "migrationFinished")[0].body["noticeId"] == retries
    # Delivered in the end: the status no longer names Slack.
    assert (await stack.status(migration_id))["problems"] == []


async def test_a_dead_webhook_is_tried_on_after_the_migration_ended(told: Told) -> None:
    stack, inbox = told.stack, told.inbox
    inbox.fail(SLACK, *[500] * 50)
    migration_id = await stack.start(request(WEB, deleteSource="afterReplication"))
    final = await stack.finish(migration_id)
    assert final["runtimeStatus"] == "Completed"
    assert any(p.startswith("notifications to slack #1") for p in final["problems"])
    ended_at = stack.clock.now()
    retries = notify_id(migration_id, NoticeKind.OUTCOME, None)
    await stack.host.run_until(lambda: runtime(stack, retries) == "Completed", max_timers=10)
    # Five tries in all (one by the migration, four on timers), 85 minutes after its end.
    assert inbox.tried(SLACK) == 5
    assert stack.clock.now() - ended_at >= timedelta(minutes=85)
    output = stack.host.get_status(retries)
    assert output is not None
    (slack,) = output["output"]["results"]
    assert (slack["ok"], slack["error"]) == (False, "HTTP 500: try later")
    # Once the retries have ended, the status says so.
    assert (await stack.status(migration_id))["problems"] == [
        "notifications to slack #1 (127.0.0.1) keep failing: HTTP 500: try later"
    ]


async def test_notices_still_retried_when_the_approval_ends_are_stopped(told: Told) -> None:
    stack, inbox = told.stack, told.inbox
    inbox.fail(SLACK, *[500] * 50)
    migration_id = await stack.start(request(WEB, APP, approvalTimeout="P2D"))
    await stack.awaiting_approval(migration_id)
    await stack.host.run_until_idle()
    asked = notify_id(migration_id, NoticeKind.AWAITING, 0)
    assert runtime(stack, asked) == "Running"  # Slack's retry waits on a timer
    approved = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ops"})
    assert approved.status == 202, approved.body
    final = await stack.finish(migration_id)
    assert [i["phase"] for i in final["images"]] == ["deleted", "deleted"]
    await stack.host.run_until(lambda: runtime(stack, asked) == "Completed", max_timers=10)
    # Stopped: no reminder of a decided approval reaches Slack an hour later.
    assert inbox.tried(SLACK, asked) == 1
