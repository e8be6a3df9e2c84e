"""The entity runner's guarantees, with entity functions replaced where the test needs a hand on
them (function_overrides): one batch at a time per entity, entities in parallel, batch sizes,
signals between entities, batches the SDK could not run, responses nobody waits for."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest
from azure.functions import EntityContext

from devhost.testing import DEFAULT_START, RunningHost, running_host
from tests.devhost.conftest import APPS, start

ENTITIES = APPS / "entities"
SIGNAL = "runtime/webhooks/durabletask/entities/{name}/{key}?op={op}"


async def signal(app: RunningHost, name: str, key: str, op: str, value: Any = None) -> None:
    url = app.url(SIGNAL.format(name=name, key=key, op=op))
    async with app.http.post(url, json=value) as response:
        assert response.status == 202


async def until(app: RunningHost, holds: Callable[[], bool]) -> None:
    """Wait for the engine to reach a state, without running it to idle (a batch is held)."""

    async def wait() -> None:
        while True:
            seen = app.host.engine.version
            if holds():
                return
            await app.host.engine.wait_for_change(seen)

    await asyncio.wait_for(wait(), timeout=30)


def batches(app: RunningHost, key: str) -> int:
    entity = app.host.engine.entity("Counter", key)
    return 0 if entity is None else entity.batches


class HeldCounter:
    """A counter entity (the real SDK's Entity) whose batches for one key wait to be released."""

    def __init__(self, held_key: str) -> None:
        self.held_key = held_key
        self.started = threading.Event()
        self.release = threading.Event()
        self.seen: list[tuple[str, int]] = []
        self._handle = df.Entity.create(self._operation)

    def _operation(self, context: df.DurableEntityContext) -> None:
        value = context.get_state(lambda: 0) + context.get_input()
        self.seen.append((context.entity_key, context.get_input()))
        context.set_state(value)
        context.set_result(value)

    def __call__(self, context: EntityContext) -> str:
        if json.loads(context.body)["self"]["key"] == self.held_key:
            self.started.set()
            self.release.wait(30)
        result: str = self._handle(context)
        return result

    async def wait_started(self) -> None:
        assert await asyncio.get_running_loop().run_in_executor(None, self.started.wait, 30)


async def test_one_batch_at_a_time_per_entity_and_entities_in_parallel() -> None:
    counter = HeldCounter("slow")
    async with running_host(ENTITIES, function_overrides={"Counter": counter}) as app:
        await signal(app, "Counter", "slow", "add", "1")
        await counter.wait_started()
        await signal(app, "Counter", "slow", "add", "2")
        await signal(app, "Counter", "slow", "add", "3")
        await signal(app, "Counter", "fast", "add", "1")
        # The other entity runs while the first one's batch is held...
        await until(app, lambda: batches(app, "fast") == 1)
        # ...and the first one's later requests wait for its batch to end.
        assert batches(app, "slow") == 0
        assert counter.seen == [("fast", 1)]
        counter.release.set()
        await app.host.run_until_idle()
        assert counter.seen == [("fast", 1), ("slow", 1), ("slow", 2), ("slow", 3)]
        slow = app.host.engine.entity("Counter", "slow")
        assert slow is not None
        assert (slow.state, slow.batches) == ("6", 2)  # [1], then [2, 3] together


async def test_batches_are_at_most_max_entity_operation_batch_size(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    shutil.copytree(ENTITIES, app_dir)
    host_json = {
        "version": "2.0",
        "extensions": {"durableTask": {"maxEntityOperationBatchSize": 2}},
    }
    (app_dir / "host.json").write_text(json.dumps(host_json))
    async with running_host(app_dir) as app:
        started = await start(app, "parallel_adds", {"key": "b", "n": 5})
        final = await app.wait_for_status(started["statusQueryGetUri"])
        assert sorted(final["output"]) == [1, 2, 3, 4, 5]
        assert batches(app, "b") == 3


def relay(context: EntityContext) -> str:
    """An entity answering as the protocol allows and the Python SDK cannot: with signals."""
    batch = json.loads(context.body)["batch"]
    signals = [
        {"target": {"name": "Counter", "key": "target"}, "name": "add", "input": op["input"]}
        for op in batch
        if op["name"] == "forward"
    ]
    results = [{"isError": False, "result": "null", "duration": 0} for _ in batch]
    answer = {"entityExists": True, "entityState": '"relayed"', "results": results}
    return json.dumps({**answer, "signals": signals})


async def test_an_entity_signals_another() -> None:
    async with running_host(ENTITIES, function_overrides={"ArmBudget": relay}) as app:
        await signal(app, "ArmBudget", "relay", "forward", "5")
        await signal(app, "ArmBudget", "relay", "forward", "6")
        await app.host.run_until_idle()
        target = app.host.engine.entity("Counter", "target")
        assert target is not None
        assert target.state == "11"
        assert app.host.app_module.OPERATIONS == [("target", "add"), ("target", "add")]
        relayer = app.host.engine.entity("ArmBudget", "relay")
        assert relayer is not None
        assert relayer.state == '"relayed"'


def raising(context: EntityContext) -> str:
    raise RuntimeError("the worker fell over")


def unreadable(context: EntityContext) -> str:
    return json.dumps({"entityExists": True, "entityState": "1", "results": []})


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        (raising, "RuntimeError: the worker fell over"),
        (unreadable, "Out of proc orchestrators must return a valid JSON schema."),
    ],
)
async def test_a_batch_the_sdk_cannot_run_fails_its_calls_and_keeps_the_state(
    override: Callable[[EntityContext], str], reason: str
) -> None:
    async with running_host(ENTITIES, function_overrides={"Counter": override}) as app:
        started = await start(app, "catch_failure")
        final = await app.wait_for_status(started["statusQueryGetUri"])
        assert final["output"] == f"caught: {reason}"
        entity = app.host.engine.entity("Counter", "c")
        assert entity is not None
        assert (entity.exists, entity.state, entity.batches) == (False, None, 1)


async def test_a_call_that_lost_its_race_still_runs_and_its_response_goes_nowhere() -> None:
    counter = HeldCounter("late")
    async with running_host(ENTITIES, function_overrides={"Counter": counter}) as app:
        started = await start(app, "call_with_deadline", "late")
        await counter.wait_started()
        app.clock.advance_to(DEFAULT_START + timedelta(minutes=1))

        def finished() -> bool:
            instance = app.host.engine.instance(started["id"])
            return instance is not None and instance.is_terminal

        await until(app, finished)
        counter.release.set()
        await app.host.run_until_idle()
        final = app.host.get_status(started["id"], show_history=True)
        assert final is not None
        assert final["output"] == "timed out"
        kinds = [e["EventType"] for e in final["historyEvents"]]
        assert kinds == [
            "ExecutionStarted",
            "EventSent",
            "TimerCreated",
            "TimerFired",
            "ExecutionCompleted",
        ]
        late = app.host.engine.entity("Counter", "late")
        assert late is not None
        assert (late.state, late.batches) == ("1", 1)
