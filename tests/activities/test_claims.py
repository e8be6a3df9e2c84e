"""``release_claims`` (activities/claims.py) run twice, in a row and at once: every claim ends
once, released by its own holder, whichever run's release reached it first.

Its answer is how many claims it told to let go, which a second run may find already gone (it
tells none of those); the orchestrations never read it, so what must agree is the claims' end.
"""

from __future__ import annotations

from typing import Any

from activities import claims as claim_activities
from migration.durable import claims
from migration.durable.jobs import decoded
from tests.activities.arm_runs import user_function
from tests.activities.durable_runs import client_of, durable_three_ways, instance_state
from tests.activities.estate import MIGRATION
from tests.stack import Stack, image_id

RELEASE = user_function(claim_activities.release_claims)
SOURCES = [image_id("web"), image_id("app")]


async def test_every_claim_ends_once_released_by_its_holder() -> None:
    async def prepare(stack: Stack) -> dict[str, Any]:
        await claims.take_each(client_of(stack), MIGRATION, SOURCES)
        await stack.host.run_until_idle()
        return {"migrationId": MIGRATION, "claims": [claims.claim_id(s) for s in SOURCES]}

    async def observe(stack: Stack) -> Any:
        ended = [instance_state(stack, claims.claim_id(s)) for s in SOURCES]
        return [(e["runtimeStatus"], decoded(e["output"])) for e in ended]

    runs = await durable_three_ways(RELEASE, "payload", prepare, observe)
    runs.assert_same_state()
    released = {"migrationId": MIGRATION, "forced": False}
    assert runs.instances["once"] == [("Completed", released)] * 2
    assert runs.once == 2
    # However the runs split the work, each claim was told at least once, and nothing failed.
    for mode, outcomes in runs.outcomes.items():
        assert sum(outcomes) >= 2, mode
        assert all(0 <= told <= 2 for told in outcomes), mode


async def test_a_release_from_another_holder_frees_nothing_however_often() -> None:
    async def prepare(stack: Stack) -> dict[str, Any]:
        await claims.take_each(client_of(stack), MIGRATION, SOURCES[:1])
        await stack.host.run_until_idle()
        other = "mig-00000000000000000000000000000c33"
        return {"migrationId": other, "claims": [claims.claim_id(SOURCES[0])]}

    async def observe(stack: Stack) -> Any:
        state = instance_state(stack, claims.claim_id(SOURCES[0]))
        return state["runtimeStatus"], decoded(state["input"])["migrationId"]

    runs = await durable_three_ways(RELEASE, "payload", prepare, observe)
    runs.assert_same_state()
    assert runs.instances["once"] == ("Running", MIGRATION)
