"""``select_images`` and ``take_claims`` (activities/selection.py) run twice, in a row and at
once: the page read is the same and changes nothing; each claim is taken once, by its migration,
and the answer is the same (a claim this migration holds already counts as taken)."""

from __future__ import annotations

from typing import Any

import pytest

from activities import selection
from emulator.testing import RunningEmulator
from migration.durable import claims
from migration.durable.jobs import decoded
from tests.activities.arm_runs import run_three_ways, user_function
from tests.activities.durable_runs import client_of, durable_three_ways, instance_state
from tests.activities.estate import MIGRATION, RG, WEB, seed_estate
from tests.stack import Stack, image_id

SELECT = user_function(selection.select_images)
TAKE = user_function(selection.take_claims)
OTHER = "mig-00000000000000000000000000000b22"


def test_selecting_a_page_twice_reads_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def seed(arm: RunningEmulator) -> dict[str, Any]:
        seed_estate(arm)
        return {"scope": f"{RG}/images-rg", "filters": {"osType": "Linux"}, "token": None}

    runs = run_three_ways(monkeypatch, SELECT, seed, lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes()
    assert runs.once["value"] == {"listed": 2, "selected": [WEB], "next": None}


async def test_claims_are_taken_once_by_their_migration() -> None:
    web, app = image_id("web"), image_id("app")

    async def prepare(stack: Stack) -> dict[str, Any]:
        # Another migration holds app (taken a moment ago, its migration about to start).
        await claims.take_each(client_of(stack), OTHER, [app])
        await stack.host.run_until_idle()
        return {"migrationId": MIGRATION, "sources": [web, app]}

    async def observe(stack: Stack) -> Any:
        return {s: _holder(instance_state(stack, claims.claim_id(s))) for s in (web, app)}

    runs = await durable_three_ways(TAKE, "payload", prepare, observe)
    runs.assert_same_state()
    for outcomes in runs.outcomes.values():
        assert all(outcome == runs.once for outcome in outcomes)
    assert runs.once["value"] == {"taken": [web], "held": {app: OTHER}}
    assert runs.instances["once"] == {web: ("Running", MIGRATION), app: ("Running", OTHER)}


def _holder(state: Any) -> tuple[str, str] | None:
    if state is None:
        return None
    holder = decoded(state["input"])
    return state["runtimeStatus"], holder["migrationId"]
