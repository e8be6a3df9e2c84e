from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from simclock import RealClock, ScaledClock, VirtualClock, clock_for_scale, utc

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_virtual_clock_moves_only_when_advanced() -> None:
    clock = VirtualClock(START)
    assert clock.now() == START
    clock.advance(90)
    assert clock.now() == START + timedelta(seconds=90)
    clock.advance_to(START)  # never backwards
    assert clock.now() == START + timedelta(seconds=90)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


async def test_virtual_sleepers_wake_in_deadline_order() -> None:
    clock = VirtualClock(START)
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in [("late", 60), ("early", 10)]]
    await asyncio.sleep(0)
    assert clock.next_wakeup() == START + timedelta(seconds=10)
    clock.advance(30)
    await asyncio.sleep(0)
    assert woke == ["early"]
    clock.advance(30)
    await asyncio.gather(*tasks)
    assert woke == ["early", "late"]
    assert clock.next_wakeup() is None


async def test_virtual_sleep_in_the_past_returns_at_once() -> None:
    clock = VirtualClock(START)
    await clock.sleep_until(START - timedelta(hours=1))
    await clock.sleep(0)


async def test_virtual_clock_can_be_advanced_from_another_thread() -> None:
    clock = VirtualClock(START)
    waiter = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    thread = threading.Thread(target=clock.advance, args=(timedelta(seconds=5),))
    thread.start()
    thread.join()
    await asyncio.wait_for(waiter, timeout=5)


async def test_cancelled_sleeper_is_forgotten() -> None:
    clock = VirtualClock(START)
    waiter = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert clock.next_wakeup() is None


def test_scaled_clock_runs_faster_than_wall_time() -> None:
    clock = ScaledClock(3600, START)
    assert clock.wall_seconds(3600) == pytest.approx(1.0)
    assert clock.now() >= START
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(0)


def test_clock_for_scale() -> None:
    assert isinstance(clock_for_scale(None), RealClock)
    assert isinstance(clock_for_scale(1), RealClock)
    assert isinstance(clock_for_scale(0), VirtualClock)
    scaled = clock_for_scale(60)
    assert isinstance(scaled, ScaledClock)
    assert scaled.scale == 60


def test_utc_normalises_naive_and_offset_datetimes() -> None:
    assert utc(datetime(2026, 1, 1)) == START
    assert utc(datetime(2026, 1, 1)).tzinfo is UTC
