"""The orchestrations under the real SDK's replay (devhost's engine, a virtual clock), with
activities replaced where a test needs them to misbehave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator import EmulatorConfig
from migration.durable.jobs import batch_id, watcher_id
from orchestrators.replication import ROUNDS_PER_EXECUTION
from tests.stack import GALLERY, Stack, image_id, open_stack

WEB = image_id("web")
APP = image_id("app")


def body(*sources: str, **fields: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "gallery": GALLERY,
        "images": [{"source": s} for s in sources or (WEB,)],
        "targetRegions": [{"name": "eastus"}, {"name": "westus2", "replicaCount": 2}],
        "deleteSource": "afterReplication",
    }
    request.update(fields)
    return request


class Real:
    """Calls the app's own user function for an activity, once the host has loaded it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stack: Stack | None = None
        self.calls = 0

    def __call__(self, payload: Any) -> Any:
        assert self.stack is not None
        self.calls += 1
        return self.stack.host.functions[self.name].user_function(payload)


def doubled(real: Real) -> Callable[..., Any]:
    """Runs the activity twice, as an at-least-once host may, and answers with the second run."""

    def run(**bound: Any) -> Any:
        (payload,) = bound.values()
        real(payload)
        return real(payload)

    return run


async def test_every_activity_may_run_twice() -> None:
    """Durable runs activities at least once: running each twice changes nothing."""
    names = [
        "inspect_request",
        "ensure_definition",
        "start_version",
        "get_versions",
        "delete_source",
    ]
    reals = {name: Real(name) for name in names}
    overrides = {name: doubled(real) for name, real in reals.items()}
    async with open_stack({}, EmulatorConfig(), function_overrides=overrides) as stack:
        for real in reals.values():
            real.stack = stack
        await stack.finish(await stack.start(body(WEB, deleteSource="never")))
        # A second migration of the same image lists versions and adopts the first one's.
        final = await stack.finish(await stack.start(body(WEB, APP)))
    assert [i["phase"] for i in final["images"]] == ["deleted", "deleted"]
    counters = stack.emulator.counters
    assert counters["gallery_images.create_or_update"] == 2  # one per definition
    created = [
        e.resource_id
        for e in stack.emulator.events
        if e.kind == "created" and "/versions/" in e.resource_id.lower()
    ]
    assert len(created) == 2, created  # one version per image, however often its PUT ran
    assert counters["images.delete"] == 2
    assert {name: real.calls % 2 for name, real in reals.items()} == dict.fromkeys(names, 0)
    assert all(real.calls for real in reals.values())


async def test_an_activity_that_raises_fails_only_its_image() -> None:
    real = Real("start_version")

    def start_version(payload: Any) -> Any:
        if payload["image"]["source"].endswith("/app"):
            raise RuntimeError("bug in the activity")
        return real(payload)

    async with open_stack(
        {}, EmulatorConfig(), function_overrides={"start_version": start_version}
    ) as stack:
        real.stack = stack
        final = await stack.finish(await stack.start(body(WEB, APP)))
    assert final["runtimeStatus"] == "Completed"
    web, app = final["images"]
    assert web["phase"] == "deleted"
    assert app["phase"] == "failed"
    assert "bug in the activity" in app["error"]
    assert "Traceback" not in app["error"], "the worker's stack must not reach API callers"
    assert stack.image_exists(APP)


async def test_long_replication_keeps_histories_short() -> None:
    async with open_stack({}, EmulatorConfig()) as stack:
        big = image_id("big")
        stack.emulator.seed_image(big, location="eastus", os_type="Linux", data_disks_gb=(1000,))
        migration_id = await stack.start(body(big))
        seen_rounds = 0

        def watch(status: dict[str, Any]) -> bool:
            nonlocal seen_rounds
            watcher = stack.host.get_status(watcher_id(batch_id(migration_id, 0)))
            if watcher and isinstance(watcher.get("customStatus"), dict):
                seen_rounds = max(seen_rounds, watcher["customStatus"].get("rounds", 0))
            return bool(status["runtimeStatus"] == "Completed")

        final = await stack.until(watch, migration_id)
        stats = stack.host.instance_stats(watcher_id(batch_id(migration_id, 0)))
        parent = stack.host.instance_stats(migration_id)
        batch = stack.host.instance_stats(batch_id(migration_id, 0))
    assert final["images"][0]["phase"] == "deleted"
    assert seen_rounds > ROUNDS_PER_EXECUTION, "replication was not long enough to continue as new"
    # A watcher execution holds at most one execution's rounds, each about 8 events (a budget
    # reservation, a read, a timer, a signal): its history never grows with time.
    assert stats.history_length <= 8 * ROUNDS_PER_EXECUTION + 10
    assert parent.history_length < 120
    assert batch.history_length < 120


async def test_replication_deadline_keeps_the_source() -> None:
    async with open_stack({"REPLICATION_TIMEOUT": "PT20M"}, EmulatorConfig()) as stack:
        big = image_id("big")
        stack.emulator.seed_image(big, location="eastus", os_type="Linux", data_disks_gb=(1000,))
        final = await stack.finish(await stack.start(body(big)))
    image = final["images"][0]
    assert image["phase"] == "failed"
    assert "did not complete before the deadline" in image["error"]
    assert stack.image_exists(big)


def flaky_reads(real: Real, failures: int) -> Callable[..., Any]:
    """get_versions that fails outright (no retry advice) ``failures`` times, then works."""
    calls = {"n": 0}

    def get_versions(payload: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= failures:
            return {"ok": False, "error": {"code": "AuthorizationFailed", "message": "no"}}
        return real(payload)

    return get_versions


async def test_a_few_failed_replication_reads_are_waited_out() -> None:
    real = Real("get_versions")
    overrides = {"get_versions": flaky_reads(real, failures=2)}
    async with open_stack({}, EmulatorConfig(), function_overrides=overrides) as stack:
        real.stack = stack
        final = await stack.finish(await stack.start(body(WEB)))
    assert final["images"][0]["phase"] == "deleted"


async def test_reads_that_keep_failing_fail_the_image_and_keep_its_source() -> None:
    real = Real("get_versions")
    overrides = {"get_versions": flaky_reads(real, failures=1000)}
    async with open_stack({}, EmulatorConfig(), function_overrides=overrides) as stack:
        real.stack = stack
        final = await stack.finish(await stack.start(body(WEB)))
    assert final["images"][0]["phase"] == "failed"
    assert final["images"][0]["error"] == "could not read replication: no"
    assert stack.image_exists(WEB)
