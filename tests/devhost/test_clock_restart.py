"""Restarts keep time: SIGKILL ``python -m devhost`` and start it again on its SQLite state.

Figures are in simulated time. A scaled run shares its clock file with ``python -m emulator``,
which keeps running across the restart; a virtual one keeps its clock next to the state file.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from devhost.history import parse_timestamp
from tests.devhost.conftest import APPS
from tests.devhost.processes import HostProcess

SCALE = 600  # ten simulated minutes a wall second
DURABLE = "runtime/webhooks/durabletask"


async def _get(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        assert response.status in (200, 202), await response.text()
        return await response.json()


async def _history(http: aiohttp.ClientSession, base_url: str, instance_id: str) -> Any:
    return await _get(http, f"{base_url}/{DURABLE}/instances/{instance_id}?showHistory=true")


def _stamps(status: dict[str, Any]) -> list[datetime]:
    return [parse_timestamp(event["Timestamp"]) for event in status["historyEvents"]]


def _app(tmp_path: Path) -> Path:
    app_dir = tmp_path / "app"
    shutil.copytree(APPS / "clock", app_dir)
    return app_dir


async def test_scaled_restart_keeps_the_emulators_time(tmp_path: Path) -> None:
    app_dir, state, clock = _app(tmp_path), tmp_path / "state.sqlite", tmp_path / "clock.json"
    scale = ["--time-scale", str(SCALE), "--clock", str(clock)]
    emulator = await HostProcess.spawn("emulator", "--port", "0", *scale)
    try:
        arm_url = (await emulator.wait_for(r"emulator listening on (\S+)")).group(1)
        first = await HostProcess.start(app_dir, state, *scale)
        try:
            base_url = await first.ready()
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"{base_url}/api/start/scaled") as response,
            ):
                assert response.status == 202
            await first.wait_for("MARK saved")  # the hour's timer is in the state
        finally:
            await first.stop(kill=True)
        assert first.process.returncode == -9

        second = await HostProcess.start(app_dir, state, *scale)
        try:
            base_url = await second.ready()
            async with aiohttp.ClientSession() as http:
                before = time.monotonic()
                devhost_now = (await _get(http, f"{base_url}/_devhost/clock"))["now"]
                emulator_now = (await _get(http, f"{arm_url}/_emulator/clock"))["now"]
                apart = time.monotonic() - before
                await second.wait_for(r"orchestration scaled-1 \(scaled\) Completed")
                final = await _history(http, base_url, "scaled-1")
        finally:
            await second.stop()
    finally:
        await emulator.stop()

    # The restarted host agrees with the emulator, which never stopped: both read one anchor.
    skew = abs(parse_timestamp(devhost_now) - parse_timestamp(emulator_now))
    assert skew <= timedelta(seconds=apart * SCALE + 1)
    # Nothing in the history runs backwards across the restart...
    stamps = _stamps(final)
    assert stamps == sorted(stamps)
    # ...and the saved timer fired at its time: the episode it woke (the one that completed the
    # instance) ran within a few simulated minutes of its deadline; a clock restarted from wall
    # time would run half an hour late here.
    fire_at = parse_timestamp(final["output"])
    assert [e["EventType"] for e in final["historyEvents"][-2:]] == [
        "TimerFired",
        "ExecutionCompleted",
    ]
    assert fire_at <= stamps[-1] <= fire_at + timedelta(minutes=5)


async def test_virtual_restart_resumes_at_the_time_reached(tmp_path: Path) -> None:
    app_dir, state = _app(tmp_path), tmp_path / "state.sqlite"
    first = await HostProcess.start(app_dir, state, "--time-scale", "0")
    try:
        base_url = await first.ready()
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base_url}/api/start/virtual") as response:
                assert response.status == 202
            await first.wait_for("MARK waiting")  # the clock has jumped an hour
            reached = parse_timestamp((await _get(http, f"{base_url}/_devhost/clock"))["now"])
    finally:
        await first.stop(kill=True)
    clock_file = json.loads((tmp_path / "state.clock.json").read_text())
    assert parse_timestamp(clock_file["reached"]) == reached

    second = await HostProcess.start(app_dir, state)  # the clock file's scale: virtual
    try:
        base_url = await second.ready()
        async with aiohttp.ClientSession() as http:
            resumed = parse_timestamp((await _get(http, f"{base_url}/_devhost/clock"))["now"])
            url = f"{base_url}/{DURABLE}/instances/virtual-1/raiseEvent/go"
            async with http.post(url, json={}) as response:
                assert response.status == 202
            await second.wait_for(r"orchestration virtual-1 \(virtual\) Completed")
            final = await _history(http, base_url, "virtual-1")
    finally:
        await second.stop()

    assert resumed == reached  # idle, waiting for an event: exactly where it stopped
    stamps = _stamps(final)
    assert stamps == sorted(stamps)
    assert parse_timestamp(final["output"]) >= reached


async def test_a_clock_file_at_another_scale_is_refused(tmp_path: Path) -> None:
    app_dir, state = _app(tmp_path), tmp_path / "state.sqlite"
    clock = tmp_path / "shared.json"
    clock.write_text(
        json.dumps(
            {"version": 1, "scale": 60, "start": "2030-01-01T00:00:00+00:00", "wallStart": 0}
        )
    )
    host = await HostProcess.start(app_dir, state, "--time-scale", "600", "--clock", str(clock))
    assert await host.exited() == 2
    assert any("keeps time at --time-scale 60, not 600" in line for line in host.lines)
