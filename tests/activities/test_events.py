"""``send_events`` (activities/events.py) run twice, in a row and at once: its receivers take
an event twice without harm. Here the receiver is a real batch waiting for its migration's
decisions: a decision delivered twice deletes its approved source once, and the migration ends
as it does with one delivery, in ARM (the emulator's resources and state log) and in the API.
"""

from __future__ import annotations

from typing import Any

from activities import events
from migration.domain.state import BatchDecision
from migration.durable.jobs import batch_id, decision_event
from tests.activities.arm_runs import user_function
from tests.activities.durable_runs import durable_three_ways
from tests.stack import GALLERY, Stack, image_id

SEND = user_function(events.send_events)
WEB, APP = image_id("web"), image_id("app")


async def test_a_decision_delivered_twice_deletes_its_sources_once() -> None:
    started: dict[str, str] = {}

    async def prepare(stack: Stack) -> list[dict[str, Any]]:
        migration_id = await stack.start(
            {
                "gallery": GALLERY,
                "images": [{"source": WEB}, {"source": APP}],
                "deleteSource": "afterApproval",
                "approvalTimeout": "PT2H",
            }
        )
        started["id"] = migration_id
        await stack.awaiting_approval(migration_id)
        decision = BatchDecision(
            seq=0, approved=[WEB], rejected=[APP], by="ann", at=stack.clock.now()
        )
        return [
            {
                "instance": batch_id(migration_id, 0),
                "name": decision_event(0),
                "payload": decision.to_json(),
            }
        ]

    async def finish(stack: Stack) -> None:
        await stack.finish(started["id"])

    async def observe(stack: Stack) -> Any:
        answer = await stack.call("GET", f"migrations/{started['id']}/images")
        return [
            (i["source"], i["phase"], (i.get("decision") or {}).get("decision"))
            for i in answer.body["images"]
        ]

    runs = await durable_three_ways(
        SEND,
        "events",
        prepare,
        observe,
        after=finish,
        renamed=lambda: {started["id"]: "<the migration>"},
    )
    runs.assert_same_state()
    assert runs.instances["once"] == [(WEB, "deleted", "approved"), (APP, "kept", "rejected")]
    for outcomes in runs.outcomes.values():
        assert all(outcome == runs.once for outcome in outcomes)
    assert runs.once["ok"]
    assert runs.once["value"] == 1
