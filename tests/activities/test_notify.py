"""``send_notification`` (activities/notify.py) run once, twice in a row and twice at once: a
receiver sees the same notice id on every copy, so it can keep one, and the further tries of a
failing destination are handed to one ``notify`` instance, however often the activity ran."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from activities import notify
from migration.notify.notice import NoticeRequest
from migration.notify.schedule import NoticeKind
from tests.activities.arm_runs import user_function
from tests.activities.durable_runs import durable_three_ways, instance_state
from tests.e2e.receiver import Receiver, receiver
from tests.stack import GALLERY, Stack

SEND = user_function(notify.send_notification)
NOTICE_ID = "notify-mig-0123-outcome"
TEAMS, SLACK = "/teams", "/slack"


@pytest.fixture
async def inbox() -> AsyncIterator[Receiver]:
    async with receiver() as found:
        yield found


async def test_a_notice_sent_twice_is_one_notice_and_one_retry(inbox: Receiver) -> None:
    async def prepare(stack: Stack) -> dict[str, Any]:
        inbox.fail(SLACK, *[500] * 10)
        request = NoticeRequest(
            kind=NoticeKind.OUTCOME,
            notice_id=NOTICE_ID,
            migration_id="mig-0123",
            gallery=GALLERY,
            trigger="http",
            delete_source="afterReplication",
            batches=0,
            image_count=0,
            at=stack.clock.now(),
        )
        return {
            "notice": request.to_json(),
            "destinations": ["teams:1", "slack:1"],
            "retryAs": NOTICE_ID,
        }

    async def observe(stack: Stack) -> Any:
        teams = {m.headers["X-Gallery-Migrator-Notice"] for m in inbox.to(TEAMS)}
        inbox.messages.clear()
        inbox.answers.clear()
        retries = instance_state(stack, NOTICE_ID)
        assert retries is not None
        return {"teams": teams, "retries": (retries["runtimeStatus"], retries["input"])}

    settings = {
        "NOTIFY_TEAMS_WEBHOOKS": inbox.url(TEAMS),
        "NOTIFY_SLACK_WEBHOOKS": inbox.url(SLACK),
    }
    runs = await durable_three_ways(SEND, "work", prepare, observe, settings=settings)
    runs.assert_same_state()
    status, given = runs.instances["once"]["retries"]
    assert runs.instances["once"]["teams"] == {NOTICE_ID}
    assert status == "Running"  # Slack's next try waits on a durable timer
    work = json.loads(given) if isinstance(given, str) else given
    assert (work["destinations"], work["tried"]) == (["slack:1"], 1)
    for outcomes in runs.outcomes.values():
        for outcome in outcomes:
            results = {r["key"]: r["ok"] for r in outcome["results"]}
            assert results == {"teams:1": True, "slack:1": False}
