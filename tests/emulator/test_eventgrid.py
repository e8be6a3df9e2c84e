"""Event Grid: a ResourceWriteSuccess event for every successful write of a managed image."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from azure.mgmt.compute import models as m

from emulator import Emulator, EmulatorConfig
from emulator.testing import SUBSCRIPTION, compute_client
from simclock import VirtualClock
from tests.emulator.helpers import IMAGE, IMAGE_ID, RG
from tests.emulator.webhook import until, webhook


def config(
    url: str, schema: Literal["EventGrid", "CloudEvents"] = "EventGrid", **extra: Any
) -> EmulatorConfig:
    return EmulatorConfig(event_grid_webhook=url, eventgrid_schema=schema, **extra)


def image_body() -> m.Image:
    return m.Image(
        location="eastus",
        properties=m.ImageProperties(
            storage_profile=m.ImageStorageProfile(
                os_disk=m.ImageOSDisk(os_type="Linux", os_state="Generalized", disk_size_gb=30)
            ),
            hyper_v_generation="V2",
        ),
    )


async def test_put_of_a_managed_image_is_announced() -> None:
    async with webhook() as (url, queue):
        emu = Emulator(VirtualClock(), config(url))
        async with emu.serve() as base_url:
            client = compute_client(base_url)
            await asyncio.to_thread(
                lambda: client.images.begin_create_or_update(RG, IMAGE, image_body()).result()
            )
            received = await asyncio.wait_for(queue.get(), timeout=10)
    assert received.headers["aeg-event-type"] == "Notification"
    assert received.headers["Content-Type"].startswith("application/json")
    [event] = received.body
    assert event["eventType"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert event["subject"] == IMAGE_ID.replace("resourceGroups", "resourcegroups")
    assert event["topic"] == f"/subscriptions/{SUBSCRIPTION}"
    assert (event["dataVersion"], event["metadataVersion"]) == ("2", "1")
    data = event["data"]
    assert data["operationName"] == "Microsoft.Compute/images/write"
    assert data["authorization"]["action"] == "Microsoft.Compute/images/write"
    assert data["resourceUri"] == IMAGE_ID
    assert (data["status"], data["subscriptionId"]) == ("Succeeded", SUBSCRIPTION)
    assert data["httpRequest"]["method"] == "PUT"
    assert data["httpRequest"]["url"].startswith(base_url)
    assert event["eventTime"] == emu.clock.now().isoformat()
    assert [d.status for d in emu.deliveries] == [200]


async def test_tag_changes_and_seeding_are_writes_too() -> None:
    async with webhook() as (url, queue):
        emu = Emulator(VirtualClock(), config(url))
        async with emu.serve() as base_url:
            emu.seed_image(IMAGE_ID)
            seeded = await asyncio.wait_for(queue.get(), timeout=10)
            client = compute_client(base_url)
            await asyncio.to_thread(
                lambda: client.images.begin_update(
                    RG, IMAGE, m.ImageUpdate(tags={"a": "b"})
                ).result()
            )
            patched = await asyncio.wait_for(queue.get(), timeout=10)
    assert "httpRequest" not in seeded.body[0]["data"]
    assert patched.body[0]["data"]["httpRequest"]["method"] == "PATCH"
    assert seeded.body[0]["id"] != patched.body[0]["id"]


async def test_cloud_events_schema() -> None:
    async with webhook() as (url, queue):
        emu = Emulator(VirtualClock(), config(url, "CloudEvents"))
        async with emu.serve():
            emu.seed_image(IMAGE_ID)
            received = await asyncio.wait_for(queue.get(), timeout=10)
    assert received.headers["Content-Type"].startswith("application/cloudevents+json")
    event = received.body
    assert event["specversion"] == "1.0"
    assert event["type"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert event["source"] == f"/subscriptions/{SUBSCRIPTION}"
    assert event["data"]["resourceUri"] == IMAGE_ID


async def test_failed_deliveries_are_retried_and_recorded() -> None:
    async with webhook(statuses=[500, 503]) as (url, queue):
        emu = Emulator(VirtualClock(), config(url, eventgrid_max_attempts=3))
        async with emu.serve():
            emu.seed_image(IMAGE_ID)
            attempts = [await asyncio.wait_for(queue.get(), timeout=10) for _ in range(3)]
            await until(lambda: len(emu.deliveries) == 3)
    assert [a.headers["aeg-delivery-count"] for a in attempts] == ["0", "1", "2"]
    assert len({a.body[0]["id"] for a in attempts}) == 1, "the same event, again"
    assert [(d.attempt, d.status) for d in emu.deliveries] == [(1, 500), (2, 503), (3, 200)]


async def test_an_unreachable_webhook_does_not_break_the_write() -> None:
    emu = Emulator(
        VirtualClock(), config("http://127.0.0.1:9/unreachable", eventgrid_max_attempts=2)
    )
    async with emu.serve() as base_url:
        client = compute_client(base_url)
        image = await asyncio.to_thread(
            lambda: client.images.begin_create_or_update(RG, IMAGE, image_body()).result()
        )
        await until(lambda: len(emu.deliveries) == 2)
    assert image.provisioning_state == "Succeeded"
    assert all(d.status is None and d.error for d in emu.deliveries)


async def test_no_webhook_no_events() -> None:
    emu = Emulator(VirtualClock())
    async with emu.serve():
        emu.seed_image(IMAGE_ID)
    assert emu.deliveries == []
