"""The in-process API: several hosts per process, settings, overrides, clocks and figures."""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from devhost import DevHost
from devhost.app_loader import AppLoadError
from devhost.testing import DEFAULT_START, running_host
from simclock import ScaledClock, VirtualClock
from tests.devhost.conftest import APPS, SAMPLES, start, status


async def test_two_hosts_of_one_app_in_one_process_are_independent() -> None:
    async with running_host(APPS / "patterns") as one, running_host(APPS / "patterns") as two:
        assert one.host.app_module is not two.host.app_module
        await one.wait_for_status((await start(one, "chain"))["statusQueryGetUri"])
        assert one.host.app_module.CALLS == {"hello": 3}
        assert two.host.app_module.CALLS == {}
        final = await two.wait_for_status((await start(two, "fan_out", 3))["statusQueryGetUri"])
        assert final["output"] == 6
        assert one.host.app_module.CALLS == {"hello": 3}


async def test_blueprint_app_loads_afresh_each_time() -> None:
    # The blueprint lives in a sibling module: a second load must build it again, not register
    # the first load's functions twice.
    for _ in range(2):
        async with running_host(SAMPLES / "blueprint") as running:
            assert sorted(running.host.functions) == [
                "HttpTrigger",
                "my_orchestrator",
                "say_hello",
                "start_orchestrator",
            ]
            async with running.http.post(running.url("api/startOrchestrator")) as response:
                started = await response.json()
            final = await running.wait_for_status(started["statusQueryGetUri"])
            assert final["runtimeStatus"] == "Completed"
    assert "durable_blueprints" not in sys.modules


async def test_settings_are_in_the_environment_only_while_the_host_runs() -> None:
    assert "DEVHOST_TEST_SETTING" not in os.environ
    host = DevHost(APPS / "patterns", settings={"DEVHOST_TEST_SETTING": "on"})
    async with host.serve():
        assert os.environ["DEVHOST_TEST_SETTING"] == "on"
    assert "DEVHOST_TEST_SETTING" not in os.environ


async def test_the_app_and_engine_exist_once_the_host_serves() -> None:
    host = DevHost(APPS / "patterns")
    for part in ("config", "app_module"):
        with pytest.raises(RuntimeError, match=r"^the host is not running$"):
            getattr(host, part)
    with pytest.raises(RuntimeError, match=r"not running: use `async with host.serve\(\)`"):
        host.engine.is_idle()
    async with host.serve():
        assert host.config.hub_name == host.hub_name
        assert host.app_module.CALLS == {}
        assert host.engine.is_idle()
    with pytest.raises(RuntimeError, match="not running"):
        host.engine.is_idle()


async def test_function_override_replaces_user_code_but_keeps_bindings() -> None:
    seen: list[object] = []

    def fake_hello(name: str) -> str:
        seen.append(name)
        return f"Bonjour {name}"

    async with running_host(APPS / "patterns", function_overrides={"hello": fake_hello}) as running:
        final = await running.wait_for_status((await start(running, "chain"))["statusQueryGetUri"])
    assert final["output"] == ["Bonjour Tokyo", "Bonjour Seattle", "Bonjour London"]
    assert seen == ["Tokyo", "Seattle", "London"]


async def test_bad_overrides_and_apps_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown functions"):
        async with DevHost(APPS / "patterns", function_overrides={"nope": print}).serve():
            pass
    with pytest.raises(ValueError, match="must accept the parameters"):
        async with DevHost(APPS / "patterns", function_overrides={"hello": lambda: 1}).serve():
            pass
    with pytest.raises(AppLoadError, match="does not exist"):
        async with DevHost(tmp_path).serve():
            pass


async def test_virtual_clock_drives_orchestration_time() -> None:
    async with running_host(APPS / "patterns") as running:
        started = await start(running, "approval", {"days": 1})
        await running.host.run_until_idle()
        assert running.clock.now() == DEFAULT_START  # run_until_idle never moves the clock
        assert await running.host.advance_to_next_timer() is True
        assert running.clock.now() == DEFAULT_START + timedelta(days=1)
        assert (await status(running, started["id"]))[1]["output"]["timed_out"] is True
        assert await running.host.advance_to_next_timer() is False


async def test_auto_advance_jumps_to_timers_by_itself() -> None:
    clock = VirtualClock(DEFAULT_START)
    async with running_host(APPS / "patterns", clock=clock) as running:
        running.host.auto_advance = True
        started = await start(running, "countdown", 2)

        async def finished() -> bool:
            _, body = await status(running, started["id"])
            return bool(body["runtimeStatus"] == "Completed")

        # run_until would advance timers itself; here the host does it on its own.
        while True:
            seen = running.host.engine.version
            if await finished():
                break
            await running.host.engine.wait_for_change(seen)
        assert clock.now() >= DEFAULT_START.replace(hour=2)


async def test_scaled_clock_runs_an_hour_of_timers_in_about_a_second() -> None:
    clock = ScaledClock(3600)
    began = clock.now()
    host = DevHost(APPS / "patterns", clock=clock)
    async with host.serve() as base_url, aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}/api/start/countdown", json=1) as response:
            instance_id = (await response.json())["id"]
        wall = time.monotonic()
        await host.run_until(
            lambda: (host.get_status(instance_id) or {}).get("runtimeStatus") == "Completed"
        )
        elapsed = time.monotonic() - wall
    assert (clock.now() - began).total_seconds() >= 3600
    assert 0.5 < elapsed < 10


async def test_stats_in_process_and_over_the_admin_route() -> None:
    async with running_host(APPS / "patterns") as running:
        started = await start(running, "fan_out", 100)
        final = await running.wait_for_status(started["statusQueryGetUri"])
        assert final["output"] == 9900
        stats = running.host.instance_stats(started["id"])
        assert 2 <= stats.replays <= 101
        # ExecutionStarted, 100 scheduled, 100 completed, ExecutionCompleted, 2 per episode.
        assert stats.history_length == 202 + 2 * stats.replays
        async with running.http.get(running.url(f"_devhost/stats/{started['id']}")) as response:
            body = await response.json()
        assert body["replays"] == stats.replays
        assert body["historyLength"] == stats.history_length
        async with running.http.get(running.url("_devhost/stats")) as response:
            summary = await response.json()
        assert summary["totals"]["instances"] == 1
