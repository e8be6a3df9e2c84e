"""The clock a host starts on is never behind its state (in-process, virtual time)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from devhost import DevHost
from devhost.clock_state import (
    ClockBehindStateError,
    clock_for_state,
    default_clock_path,
    latest_time,
)
from devhost.history import parse_timestamp
from devhost.store import Store
from devhost.testing import DEFAULT_START, running_host
from simclock import ClockFileError, FileVirtualClock, ScaledClock, VirtualClock
from tests.devhost.conftest import APPS, start, status


async def _run_countdown(state: Path) -> None:
    """Three hours of timers on a virtual clock, and an instance left waiting for an event."""
    async with running_host(APPS / "patterns", state_path=state) as running:
        await running.wait_for_status((await start(running, "countdown", 3))["statusQueryGetUri"])
        await start(running, "waits_for_go", instance_id="waiting")
        await running.host.run_until_idle()
        async with running.http.post(
            running.url("runtime/webhooks/durabletask/instances/waiting/raiseEvent/go"), json=1
        ) as response:
            assert response.status == 202


async def test_latest_time_covers_rows_and_queued_messages(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    await _run_countdown(state)
    store = Store(state)
    try:
        latest = latest_time(store)
        rows = [parse_timestamp(r.last_updated_time) for r in store.instances()]
        assert latest == max(rows) == DEFAULT_START + timedelta(hours=3)
        store.add_message("waiting", None, json.dumps({"Timestamp": "2030-02-01T00:00:00Z"}))
        assert latest_time(store) == parse_timestamp("2030-02-01T00:00:00Z")
    finally:
        store.close()
    empty = Store(None)
    assert latest_time(empty) is None
    empty.close()


async def test_a_virtual_clock_behind_the_state_catches_up(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    await _run_countdown(state)
    clock = VirtualClock(DEFAULT_START)  # three hours behind what the state holds
    async with running_host(APPS / "patterns", clock=clock, state_path=state) as running:
        assert clock.now() == DEFAULT_START + timedelta(hours=3)
        await running.host.run_until_idle()
        code, body = await status(running, "waiting", "?showHistory=true")
    stamps = [parse_timestamp(e["Timestamp"]) for e in body["historyEvents"]]
    assert stamps == sorted(stamps)
    assert code == 202


async def test_a_running_clock_behind_the_state_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    await _run_countdown(state)
    behind = ScaledClock(60, DEFAULT_START - timedelta(days=1))
    with pytest.raises(ClockBehindStateError, match="history would run backwards"):
        async with DevHost(APPS / "patterns", clock=behind, state_path=state).serve():
            pass


async def test_clock_for_state_floors_a_new_file_and_forgets_a_stale_default(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.sqlite"
    await _run_countdown(state)
    # An existing state without a clock file (kept from before clock files): the new file
    # starts at the state's latest time, not at wall time (which is years before 2030).
    clock = clock_for_state(state, 0, None)
    assert isinstance(clock, FileVirtualClock)
    assert clock.now() == DEFAULT_START + timedelta(hours=3)
    assert clock.file.path == default_clock_path(state) == tmp_path / "state.clock.json"
    with pytest.raises(ClockFileError, match="not 60"):
        clock_for_state(state, 60, None)
    # A fresh state starts a fresh default clock...
    state.unlink()
    assert clock_for_state(state, 60, None).now() < DEFAULT_START
    # ...but never discards a clock file named explicitly (it may be shared).
    shared = tmp_path / "shared.json"
    clock_for_state(tmp_path / "other.sqlite", 0, shared)
    with pytest.raises(ClockFileError, match="not 60"):
        clock_for_state(tmp_path / "third.sqlite", 60, shared)
