"""Event hints end to end: the emulator's Event Grid delivers version write events to
on_version_written, which wakes the version's watcher; polling still finishes when they are lost.

The clock stops at the emulator's instants too (``devstack.run_until``), so an event arrives
between two durable timers, when Azure would send it."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from devstack import run_until
from emulator import DeliveryBehaviour, EmulatorConfig, ReplicationModel
from emulator.events import version_writes
from migration.durable.jobs import batch_id, watcher_id
from tests.stack import GALLERY, TERMINAL, Stack, image_id, open_stack

WEB = image_id("web")
WEBHOOK = "/runtime/webhooks/eventgrid?functionName=on_version_written"
# Half an hour in a straight line (so that the schedule alone would be exact too, and the gain
# measured is the event's): each region's own duration, no jitter.
HALF_HOUR = ReplicationModel(
    profile="linear", base_seconds=1800, seconds_per_gb=0, source_region_factor=1, jitter=0
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def hinted_stack(delivery: DeliveryBehaviour) -> AsyncIterator[Stack]:
    port = free_port()
    writes = version_writes(f"http://127.0.0.1:{port}{WEBHOOK}")
    config = EmulatorConfig(
        replication=HALF_HOUR,
        event_subscriptions=(writes.model_copy(update={"delivery": delivery}),),
    )
    async with open_stack({"REPLICATION_POLL_MIN": "PT30S"}, config, host_port=port) as stack:
        yield stack


@pytest.fixture
async def delivered() -> AsyncIterator[Stack]:
    async for stack in hinted_stack(DeliveryBehaviour(delay_seconds=2, delay_jitter_seconds=3)):
        yield stack


@pytest.fixture
async def lost() -> AsyncIterator[Stack]:
    async for stack in hinted_stack(DeliveryBehaviour(drop_probability=1.0)):
        yield stack


@pytest.fixture
async def doubled() -> AsyncIterator[Stack]:
    behaviour = DeliveryBehaviour(
        delay_seconds=2, duplicate_probability=1.0, out_of_order_probability=0.5
    )
    async for stack in hinted_stack(behaviour):
        yield stack


def request() -> dict[str, Any]:
    return {
        "gallery": GALLERY,
        "images": [{"source": WEB}],
        "targetRegions": [{"name": "eastus"}, {"name": "westus2"}],
        "deleteSource": "afterReplication",
    }


async def migrate(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a migration to its end; its final status and its watcher's output."""
    migration_id = await stack.start(request())
    final: dict[str, Any] = {}

    async def ended() -> bool:
        nonlocal final
        final = await stack.status(migration_id)
        return final["runtimeStatus"] in TERMINAL

    await run_until(stack.host, stack.emulator, stack.clock, ended)
    watcher = stack.host.get_status(watcher_id(batch_id(migration_id, 0)))
    assert watcher is not None
    return final, watcher["output"]["0"]


def lag_seconds(stack: Stack, seen: dict[str, Any]) -> float:
    """From the version Succeeded in the emulator (replicated: a later metadata update, such as
    the delete step's, succeeds again) to the watcher knowing."""
    succeeded = min(
        e.time
        for e in stack.emulator.events
        if e.kind == "succeeded" and "/versions/" in e.resource_id
    )
    return (datetime.fromisoformat(seen["at"]) - succeeded).total_seconds()


def version_reads(stack: Stack) -> int:
    """Reads of the version that found it (the watcher's, the delete step's re-check)."""
    return sum(
        1
        for r in stack.emulator.request_log
        if r.operation == "gallery_image_versions.get" and r.status == 200
    )


async def test_a_delivered_event_makes_detection_near_immediate(delivered: Stack) -> None:
    final, seen = await migrate(delivered)
    assert final["runtimeStatus"] == "Completed"
    assert final["images"][0]["phase"] == "deleted"
    assert seen["state"] == "completed"
    # Delivered 2 to 5 s after the write; the watcher reads at once.
    assert 0 <= lag_seconds(delivered, seen) <= 6
    # The delete step's metadata update raises another event: it finds nobody watching.
    assert {d.status for d in delivered.emulator.deliveries} == {202}


async def test_lost_events_leave_polling_to_finish(lost: Stack) -> None:
    final, seen = await migrate(lost)
    assert final["images"][0]["phase"] == "deleted"
    assert all(d.dropped for d in lost.emulator.deliveries)
    # A straight line is exact for the schedule: found within one imminent interval (40 s).
    assert 0 <= lag_seconds(lost, seen) <= 41
    # Polling every 30 s would have read the version 60 times.
    assert version_reads(lost) <= 15


async def test_duplicated_and_late_copies_cost_no_extra_read(doubled: Stack) -> None:
    final, seen = await migrate(doubled)
    assert final["images"][0]["phase"] == "deleted"
    assert 0 <= lag_seconds(doubled, seen) <= 63  # the first copy may be the late one
    # The copies still on their way find the version no longer watched: nothing more is read.
    reads_at_end = version_reads(doubled)
    await run_until(doubled.host, doubled.emulator, doubled.clock, lambda: not waiting(doubled))
    replication = [d for d in doubled.emulator.deliveries if d.event_id == first_event(doubled)]
    assert sorted(d.copy for d in replication) == [1, 2]
    assert {d.status for d in replication} == {202}
    assert version_reads(doubled) == reads_at_end


def first_event(stack: Stack) -> str:
    return min(stack.emulator.deliveries, key=lambda d: d.time).event_id


def waiting(stack: Stack) -> bool:
    return stack.emulator.next_due() is not None


def event(subject: str, kind: str = "Microsoft.Resources.ResourceWriteSuccess", **data: Any) -> Any:
    return {
        "id": "e-1",
        "eventType": kind,
        "subject": subject,
        "eventTime": "2026-01-05T09:00:00Z",
        "dataVersion": "2",
        "metadataVersion": "1",
        "data": {"operationName": "Microsoft.Compute/galleries/images/versions/write", **data},
    }


async def deliver(stack: Stack, body: Any, cloud: bool = False) -> int:
    headers = {"aeg-event-type": "Notification"}
    if cloud:
        headers["Content-Type"] = "application/cloudevents+json; charset=utf-8"
    async with stack.http.post(f"{stack.base_url}{WEBHOOK}", json=body, headers=headers) as r:
        await r.read()
        return r.status


async def test_events_that_do_not_apply_are_ignored_with_a_log_line(
    lost: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="triggers.version_events")
    unwatched = f"{GALLERY}/images/web/versions/9.9.9"
    bodies = [
        [event(image_id("web"), operationName="Microsoft.Compute/images/write")],
        [event(unwatched)],
        [event(unwatched, kind="Microsoft.Resources.ResourceDeleteSuccess")],
        [{**event(unwatched), "data": "not an object"}],
    ]
    for body in bodies:
        assert await deliver(lost, body) == 202
    ignored = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert len(ignored) == len(bodies)
    assert any("is not being watched" in m for m in ignored)
    assert any("is not microsoft.compute/galleries/images/versions/write" in m for m in ignored)


async def test_an_event_id_cannot_forge_a_log_line(
    lost: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="triggers.version_events")
    forged = "x\n2026-01-01 INFO approved by root"
    body = [{**event(f"{GALLERY}/images/web/versions/9.9.9"), "id": forged}]
    assert await deliver(lost, body) == 202
    (line,) = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert "\n" not in line
    assert repr(forged) in line


async def test_a_cloud_event_for_a_watched_version_makes_its_watcher_read_now(lost: Stack) -> None:
    migration_id = await lost.start(request())
    watcher = watcher_id(batch_id(migration_id, 0))

    async def watching() -> bool:
        status = lost.host.get_status(watcher)
        return bool(status and status["customStatus"] and status["customStatus"]["rounds"] >= 3)

    await run_until(lost.host, lost.emulator, lost.clock, watching)
    version = f"{GALLERY}/images/web/versions/1.0.0".replace("resourceGroups", "resourcegroups")
    reads = version_reads(lost)
    cloud = {
        "specversion": "1.0",
        "type": "Microsoft.Resources.ResourceWriteSuccess",
        "source": f"/subscriptions/{GALLERY.split('/')[2]}",
        "subject": version,
        "id": "c-1",
        "time": lost.clock.now().isoformat(),
        "data": {"operationName": "Microsoft.Compute/galleries/images/versions/write"},
    }
    assert await deliver(lost, cloud, cloud=True) == 202
    await lost.host.run_until_idle()
    # Read at once, at this very instant: the hint woke the watcher.
    assert version_reads(lost) == reads + 1
    assert lost.emulator.request_log[-1].time == lost.clock.now()
