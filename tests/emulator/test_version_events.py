"""Event Grid for version writes: raised when the version's PUT operation ends, on the
subscription topic (ResourceWriteSuccess / Failure) and Resource Notifications (CreatedOrUpdated),
to several subscriptions, each with its filters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from azure.mgmt.compute import ComputeManagementClient
from pydantic import ValidationError

from emulator import (
    Emulator,
    EmulatorConfig,
    EventSubscription,
    FailingRegion,
    FaultConfig,
    Timings,
)
from emulator.testing import START, SUBSCRIPTION, compute_client
from simclock import VirtualClock
from tests.emulator.helpers import (
    GALLERY,
    PREFIX,
    RG,
    create_definition,
    seed_world,
    start_version,
    version,
)
from tests.emulator.webhook import drained, until, webhook

VERSION_ID = f"{PREFIX}/galleries/{GALLERY}/images/myImageDefinition/versions/1.0.0"
VERSION_WRITE = "Microsoft.Compute/galleries/images/versions/write"
SUCCESS = "Microsoft.Resources.ResourceWriteSuccess"
FAILURE = "Microsoft.Resources.ResourceWriteFailure"
CREATED = "Microsoft.ResourceNotifications.Resources.CreatedOrUpdated"
NOTIFICATIONS = "Microsoft.ResourceNotifications.Resources"
DAY = 24 * 3600.0


def versions_subscription(url: str, **extra: Any) -> EventSubscription:
    """The app's second subscription: version writes, success or failure."""
    return EventSubscription(
        name="version-writes",
        endpoint=url,
        included_event_types=(SUCCESS, FAILURE),
        operation_names=(VERSION_WRITE,),
        **extra,
    )


@asynccontextmanager
async def serving(
    config: EmulatorConfig,
) -> AsyncIterator[tuple[Emulator, ComputeManagementClient]]:
    emu = Emulator(VirtualClock(START), config)
    async with emu.serve() as base_url:
        yield emu, compute_client(base_url)


async def put_version(
    emu: Emulator, client: ComputeManagementClient, regions: Any = (("eastus", 1), ("westus2", 2))
) -> None:
    def run() -> None:
        seed_world(emu)
        create_definition(client)
        start_version(client, body=version(regions=regions))

    await asyncio.to_thread(run)


def ended(emu: Emulator, kind: str) -> Any:
    return next(e.time for e in emu.events if e.kind == kind and e.resource_id == VERSION_ID)


async def test_a_version_write_is_announced_when_replication_ends() -> None:
    async with webhook() as (url, queue):
        config = EmulatorConfig(
            event_grid_webhook=url, event_subscriptions=(versions_subscription(url),)
        )
        async with serving(config) as (emu, client):
            await put_version(emu, client)
            await emu.drain_deliveries()
            # Seeding the image was announced (to the image subscription); the PUT, not yet.
            assert [r.headers["aeg-subscription-name"] for r in drained(queue)] == [
                "EMULATOR-IMAGE-WRITES"
            ]
            emu.advance(DAY)
            received = await asyncio.wait_for(queue.get(), 10)
            await emu.drain_deliveries()
            assert queue.empty(), "only the version subscription wants it"
    assert received.headers["aeg-subscription-name"] == "VERSION-WRITES"
    [event] = received.events
    assert event["eventType"] == SUCCESS
    assert event["subject"] == VERSION_ID.replace("resourceGroups", "resourcegroups")
    assert event["topic"] == f"/subscriptions/{SUBSCRIPTION}"
    assert event["eventTime"] == ended(emu, "succeeded").isoformat()
    data = event["data"]
    assert (data["operationName"], data["status"], data["resourceUri"]) == (
        VERSION_WRITE,
        "Succeeded",
        VERSION_ID,
    )
    assert data["authorization"] == {**data["authorization"], "action": VERSION_WRITE}
    assert data["httpRequest"]["method"] == "PUT"
    assert "/versions/1.0.0?api-version=" in data["httpRequest"]["url"]
    [delivery] = [d for d in emu.deliveries if d.subscription == "version-writes"]
    assert (delivery.event_type, delivery.status, delivery.attempt) == (SUCCESS, 200, 1)


async def test_a_failed_version_raises_a_write_failure() -> None:
    faults = FaultConfig(failing_regions={"westus2": FailingRegion(at_progress=30)})
    async with webhook() as (url, queue):
        config = EmulatorConfig(faults=faults, event_subscriptions=(versions_subscription(url),))
        async with serving(config) as (emu, client):
            await put_version(emu, client)
            emu.advance(DAY)
            received = await asyncio.wait_for(queue.get(), 10)
    [event] = received.events
    assert event["eventType"] == FAILURE
    assert event["data"]["status"] == "Failed"
    assert event["eventTime"] == ended(emu, "failed").isoformat()


async def test_a_region_added_later_is_announced_when_it_has_replicated() -> None:
    async with webhook() as (url, queue):
        config = EmulatorConfig(event_subscriptions=(versions_subscription(url),))
        async with serving(config) as (emu, client):
            await put_version(emu, client, regions=(("eastus", 1),))
            emu.advance(DAY)
            first = await asyncio.wait_for(queue.get(), 10)
            more = version(regions=(("eastus", 1), ("northeurope", 1)))
            await asyncio.to_thread(start_version, client, body=more)
            emu.advance(60)
            await emu.drain_deliveries()
            assert queue.empty(), "northeurope is still replicating"
            emu.advance(DAY)
            second = await asyncio.wait_for(queue.get(), 10)
    replicated = next(
        e.time for e in emu.events if e.region == "northeurope" and e.kind == "replicated"
    )
    assert second.events[0]["eventTime"] == replicated.isoformat()
    assert first.events[0]["id"] != second.events[0]["id"]


async def test_subscriptions_get_what_their_filters_let_through() -> None:
    async with webhook() as (url, queue):
        everything = EventSubscription(name="everything", endpoint=url)
        other_group = EventSubscription(
            name="other-group",
            endpoint=url,
            topic_type="Microsoft.Resources.ResourceGroups",
            resource_group="elsewhere",
        )
        group = EventSubscription(
            name="group",
            endpoint=url,
            topic_type="Microsoft.Resources.ResourceGroups",
            resource_group=RG.upper(),
            resource_types=("microsoft.compute/galleries/images/versions",),
        )
        config = EmulatorConfig(event_subscriptions=(everything, other_group, group))
        async with serving(config) as (emu, client):
            await put_version(emu, client)
            emu.advance(DAY)
            await until(lambda: len(emu.deliveries) == 3)
            received = drained(queue)
    by_name: dict[str, list[str]] = {}
    for item in received:
        by_name.setdefault(item.headers["aeg-subscription-name"], []).extend(
            event["data"]["operationName"] for event in item.events
        )
    assert by_name == {
        "EVERYTHING": ["Microsoft.Compute/images/write", VERSION_WRITE],
        "GROUP": [VERSION_WRITE],
    }
    [from_group] = [r for r in received if r.headers["aeg-subscription-name"] == "GROUP"]
    assert (
        from_group.events[0]["topic"]
        == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG.upper()}"
    )


@pytest.mark.parametrize("schema", ["EventGrid", "CloudEvents"])
async def test_resource_notifications_carry_the_version(schema: Any) -> None:
    async with webhook() as (url, queue):
        notifications = EventSubscription(
            name="arn",
            endpoint=url,
            topic_type=NOTIFICATIONS,
            event_schema=schema,
            resource_types=("Microsoft.Compute/galleries/images/versions",),
        )
        config = EmulatorConfig(event_subscriptions=(notifications,))
        async with serving(config) as (emu, client):
            await put_version(emu, client)
            emu.advance(DAY)
            received = await asyncio.wait_for(queue.get(), 10)
            await emu.drain_deliveries()
            assert queue.empty()
            stored = emu.resource(VERSION_ID)
    [event] = received.events
    when = ended(emu, "succeeded").isoformat()
    if schema == "CloudEvents":
        assert (event["type"], event["source"], event["time"]) == (
            CREATED,
            f"/subscriptions/{SUBSCRIPTION}",
            when,
        )
    else:
        assert (event["eventType"], event["dataVersion"], event["eventTime"]) == (
            CREATED,
            "1",
            when,
        )
        assert received.headers["aeg-data-version"] == "1"
    assert event["subject"] == VERSION_ID
    data = event["data"]
    assert data["apiVersion"] == "2026-03-03", "the api-version the SDK wrote it with"
    assert data["operationalInfo"] == {"resourceEventTime": when}
    info = data["resourceInfo"]
    assert (info["id"], info["name"], info["type"], info["location"]) == (
        VERSION_ID,
        "1.0.0",
        "Microsoft.Compute/galleries/images/versions",
        "eastus",
    )
    assert info["properties"]["provisioningState"] == "Succeeded"
    assert stored is not None
    assert info["properties"]["publishingProfile"] == stored["properties"]["publishingProfile"]
    assert "replicationStatus" not in info["properties"]


async def test_resource_notifications_are_not_raised_for_a_failed_write() -> None:
    faults = FaultConfig(failing_regions={"westus2": FailingRegion()})
    async with webhook() as (url, queue):
        notifications = EventSubscription(name="arn", endpoint=url, topic_type=NOTIFICATIONS)
        config = EmulatorConfig(faults=faults, event_subscriptions=(notifications,))
        async with serving(config) as (emu, client):
            await put_version(emu, client)
            await until(lambda: len(emu.deliveries) == 1)  # the seeded image
            emu.advance(DAY)
            await emu.drain_deliveries()
            received = drained(queue)
    assert [r.events[0]["data"]["resourceInfo"]["type"] for r in received] == [
        "Microsoft.Compute/images"
    ]


def test_subscriptions_are_checked() -> None:
    with pytest.raises(ValidationError, match="resource_group"):
        EventSubscription(endpoint="http://x", topic_type="Microsoft.Resources.ResourceGroups")
    with pytest.raises(ValidationError, match="resource_group"):
        EventSubscription(endpoint="http://x", resource_group="rg")
    with pytest.raises(ValidationError, match="operationName"):
        EventSubscription(endpoint="http://x", topic_type=NOTIFICATIONS, operation_names=("a",))
    with pytest.raises(ValidationError, match="unique"):
        EmulatorConfig(
            event_subscriptions=(
                EventSubscription(name="a", endpoint="http://x"),
                EventSubscription(name="A", endpoint="http://y"),
            )
        )
    parsed = EmulatorConfig.model_validate(
        {"event_subscriptions": [{"endpoint": "http://x", "delivery": {"delay_seconds": 5}}]}
    )
    assert parsed.event_subscriptions[0].delivery.delay_seconds == 5


async def test_a_tag_change_is_announced_when_its_update_ends() -> None:
    async with webhook() as (url, queue):
        config = EmulatorConfig(
            timings=Timings(version_update_seconds=120),
            event_subscriptions=(versions_subscription(url),),
        )
        async with serving(config) as (emu, client):
            await put_version(emu, client)
            emu.advance(DAY)
            created = await asyncio.wait_for(queue.get(), 10)
            tagged = version(tags={"owner": "web"})
            await asyncio.to_thread(start_version, client, body=tagged)
            emu.advance(119)
            await emu.drain_deliveries()
            assert queue.empty()
            emu.advance(1)
            updated = await asyncio.wait_for(queue.get(), 10)
    assert created.events[0]["eventTime"] < updated.events[0]["eventTime"]
    assert updated.events[0]["data"]["status"] == "Succeeded"
