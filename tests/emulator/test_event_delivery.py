"""Event Grid delivery behaviour per subscription: delay, duplicates, drops, out of order, retries;
all in simulated time and seeded."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from emulator import Delivery, DeliveryBehaviour, Emulator, EmulatorConfig, EventSubscription
from emulator.testing import START
from simclock import VirtualClock
from tests.emulator.helpers import image_id
from tests.emulator.webhook import Received, drained, until, webhook


def config(url: str, **behaviour: Any) -> EmulatorConfig:
    subscription = EventSubscription(
        name="images", endpoint=url, delivery=DeliveryBehaviour(**behaviour)
    )
    return EmulatorConfig(event_subscriptions=(subscription,))


def subjects(received: list[Received]) -> list[str]:
    return [event["subject"].rsplit("/", 1)[1] for item in received for event in item.events]


async def write_images(emu: Emulator, count: int, every: float = 1.0) -> list[str]:
    """``count`` image writes, ``every`` simulated seconds apart; their names in order."""
    names = []
    for n in range(count):
        emu.seed_image(image_id(f"img{n:02}"))
        names.append(f"img{n:02}")
        emu.advance(every)
    return names


async def test_a_delay_is_simulated_time() -> None:
    async with webhook() as (url, queue):
        emu = Emulator(VirtualClock(START), config(url, delay_seconds=30))
        async with emu.serve():
            emu.seed_image(image_id("a"))
            assert emu.next_due() == START + timedelta(seconds=30), "a host knows to wake then"
            emu.advance(29)
            await emu.drain_deliveries()
            assert queue.empty()
            emu.advance(1)
            received = await asyncio.wait_for(queue.get(), 10)
            assert emu.next_due() is None
    assert subjects([received]) == ["a"]
    assert [d.time for d in emu.deliveries] == [START + timedelta(seconds=30)]


async def test_jittered_delays_are_seeded() -> None:
    async def times() -> list[float]:
        async with webhook() as (url, _):
            clock = VirtualClock(START)
            emu = Emulator(clock, config(url, delay_seconds=10, delay_jitter_seconds=20))
            async with emu.serve():
                await write_images(emu, 10, every=0)
                # As a host does: wake at each instant the emulator names.
                while (due := emu.next_due()) is not None:
                    clock.advance_to(due)
                    await emu.drain_deliveries()
            return sorted((d.time - START).total_seconds() for d in emu.deliveries)

    first = await times()
    assert all(10 <= t <= 30 for t in first)
    assert len(set(first)) == 10
    assert first == await times()


async def test_a_duplicate_comes_twice_with_the_same_id() -> None:
    async with webhook() as (url, queue):
        emu = Emulator(VirtualClock(START), config(url, duplicate_probability=1))
        async with emu.serve():
            emu.seed_image(image_id("a"))
            await until(lambda: len(emu.deliveries) == 2)
            received = drained(queue)
    assert len({item.events[0]["id"] for item in received}) == 1
    assert sorted(d.copy for d in emu.deliveries) == [1, 2]


async def test_a_dropped_event_is_never_delivered_but_recorded() -> None:
    async with webhook() as (url, queue):
        emu = Emulator(VirtualClock(START), config(url, drop_probability=1))
        async with emu.serve():
            emu.seed_image(image_id("a"))
            await emu.drain_deliveries()
            assert queue.empty()
    [dropped] = emu.deliveries
    assert dropped == Delivery(
        START,
        dropped.event_id,
        dropped.subject,
        0,
        None,
        "dropped (simulated)",
        subscription="images",
        event_type="Microsoft.Resources.ResourceWriteSuccess",
        dropped=True,
    )


async def test_drops_are_seeded() -> None:
    async def delivered() -> list[str]:
        async with webhook() as (url, queue):
            emu = Emulator(VirtualClock(START), config(url, drop_probability=0.5))
            async with emu.serve():
                await write_images(emu, 30)
                await emu.drain_deliveries()
                got = subjects(drained(queue))
            assert len(got) + sum(d.dropped for d in emu.deliveries) == 30
            return got

    first = await delivered()
    assert 5 < len(first) < 25
    assert first == await delivered()


async def test_held_back_events_arrive_after_later_ones() -> None:
    async with webhook() as (url, queue):
        behaviour = {"out_of_order_probability": 0.5, "out_of_order_seconds": 100}
        emu = Emulator(VirtualClock(START), config(url, **behaviour))
        async with emu.serve():
            written = await write_images(emu, 20)
            await emu.drain_deliveries()
            on_time = subjects(drained(queue))
            emu.advance(100)
            await until(lambda: len(emu.deliveries) == 20)
            late = subjects(drained(queue))
    assert 0 < len(late) < 20
    assert on_time + late != written
    assert sorted(on_time + late) == written, "each exactly once"
    late_times = [d.time for d in emu.deliveries if d.subject.endswith(tuple(late))]
    assert min(late_times) >= START + timedelta(seconds=100)


async def test_each_subscription_retries_by_its_own_attempts() -> None:
    async with webhook(statuses=[500, 503]) as (url, queue):
        emu = Emulator(VirtualClock(START), config(url, max_attempts=2))
        async with emu.serve():
            emu.seed_image(image_id("a"))
            await until(lambda: len(emu.deliveries) == 2)
            await emu.drain_deliveries()
            assert len(drained(queue)) == 2
    assert [(d.attempt, d.status, d.error) for d in emu.deliveries] == [
        (1, 500, "HTTP 500"),
        (2, 503, "HTTP 503"),
    ]
