"""The Event Grid starter, fed by the emulator as a subscription's system topic would feed it."""

from __future__ import annotations

import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from emulator import EmulatorConfig
from tests.stack import GALLERY, RG, Stack, image_id, open_stack

POLICY = {
    "EVENTGRID_GALLERY_ID": GALLERY,
    "EVENTGRID_TARGET_REGIONS": "eastus=1, westus2=1",
    "EVENTGRID_DELETE_SOURCE": "afterReplication",
}
NEW = image_id("fresh")
WEBHOOK = "/runtime/webhooks/eventgrid?functionName=on_image_written"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["EventGrid", "CloudEvents"])
async def eg_stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    port = free_port()
    config = EmulatorConfig(
        event_grid_webhook=f"http://127.0.0.1:{port}{WEBHOOK}", eventgrid_schema=request.param
    )
    async with open_stack(POLICY, config, host_port=port) as opened:
        yield opened


def image_body(**tags: str) -> dict[str, Any]:
    return {
        "location": "eastus",
        "tags": tags,
        "properties": {
            "storageProfile": {
                "osDisk": {
                    "osType": "Linux",
                    "osState": "Generalized",
                    "diskSizeGB": 30,
                    "managedDisk": {"id": f"{RG}/images-rg/providers/Microsoft.Compute/disks/d1"},
                }
            },
            "hyperVGeneration": "V2",
        },
    }


async def write_image(stack: Stack, resource: str, **tags: str) -> None:
    url = f"{stack.settings['ARM_ENDPOINT']}{resource}?api-version=2026-04-01"
    headers = {"Authorization": "Bearer operator"}
    async with stack.http.put(url, json=image_body(**tags), headers=headers) as response:
        assert response.status in (200, 201), await response.text()
    stack.emulator.settle()
    await stack.emulator.drain_deliveries()


async def migrations(stack: Stack) -> list[dict[str, Any]]:
    return list((await stack.call("GET", "migrations")).body["migrations"])


async def test_an_opted_in_image_is_migrated_once(
    eg_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await write_image(eg_stack, NEW, migrateToGallery="true")
    assert [d.status for d in eg_stack.emulator.deliveries] == [202]
    started = await migrations(eg_stack)
    assert len(started) == 1
    migration_id = started[0]["id"]
    # A tag change fires the same event while the migration runs: it is ignored.
    await write_image(eg_stack, NEW, migrateToGallery="true", owner="web-team")
    assert len(await migrations(eg_stack)) == 1
    ignored = [r.getMessage() for r in caplog.records if r.name == "triggers.event_grid"]
    # Whether the repeat finds the claim taken or the version already made depends on how far
    # the migration got; either way nothing else starts.
    assert any("is being migrated by" in m or "is already migrated" in m for m in ignored), ignored
    final = await eg_stack.finish(migration_id)
    assert final["trigger"] == "eventGrid"
    assert final["images"][0]["phase"] == "deleted"
    assert not eg_stack.image_exists(NEW)


async def test_events_that_do_not_apply_are_ignored_with_a_log_line(
    eg_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await write_image(eg_stack, NEW)  # not opted in
    assert "lacks tag migrateToGallery" in caplog.text
    other = {
        "id": str(uuid.uuid4()),
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "subject": "/subscriptions/s/resourcegroups/rg/providers/Microsoft.Compute/disks/d",
        "eventTime": "2026-01-05T09:00:00Z",
        "dataVersion": "2",
        "data": {"operationName": "Microsoft.Compute/disks/write", "status": "Succeeded"},
    }
    async with eg_stack.http.post(
        eg_stack.base_url + WEBHOOK, json=[other], headers={"aeg-event-type": "Notification"}
    ) as r:
        assert r.status == 202
    assert "is not microsoft.compute/images/write" in caplog.text
    assert await migrations(eg_stack) == []
    writes = [op for op in eg_stack.emulator.counters if op.startswith("gallery")]
    assert all(not op.endswith("create_or_update") for op in writes)


async def test_an_already_migrated_image_is_skipped(
    eg_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    body = {"gallery": GALLERY, "images": [{"source": NEW}], "deleteSource": "never"}
    await write_image(eg_stack, NEW)  # not opted in yet: nothing starts
    first = await eg_stack.start(body)
    await eg_stack.finish(first)
    await write_image(eg_stack, NEW, migrateToGallery="yes")
    assert "is already migrated" in caplog.text
    assert [m["id"] for m in await migrations(eg_stack)] == [first]


async def test_validation_handshake(eg_stack: Stack) -> None:
    handshake = [
        {
            "id": "1",
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "subject": "",
            "eventTime": "2026-01-05T09:00:00Z",
            "dataVersion": "2",
            "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
        }
    ]
    headers = {"aeg-event-type": "SubscriptionValidation"}
    async with eg_stack.http.post(
        eg_stack.base_url + WEBHOOK, json=handshake, headers=headers
    ) as r:
        assert r.status == 200
        # The extension answers JSON text as text/plain (a StringContent), as Azure does.
        answer = await r.json(content_type=None)
        assert answer == {"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}


@pytest.mark.parametrize("allowed", ["gallery-rg", "images-rg"])
async def test_an_event_with_a_resource_outside_the_allowed_scopes_is_ignored(
    caplog: pytest.LogCaptureFixture, allowed: str
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    config = EmulatorConfig(event_grid_webhook=f"http://127.0.0.1:{port}{WEBHOOK}")
    scoped = {**POLICY, "ALLOWED_SCOPES": f"{RG}/{allowed}"}
    async with open_stack(scoped, config, host_port=port) as stack:
        await write_image(stack, NEW, migrateToGallery="true")
        assert await migrations(stack) == []
    assert "images[0].source" not in caplog.text
    assert "not inside any of" in caplog.text


async def test_an_event_start_reads_the_image_once(eg_stack: Stack) -> None:
    """The starter's inspection decides and the orchestration plans from it: one read."""
    await write_image(eg_stack, NEW, migrateToGallery="true")
    (started,) = await migrations(eg_stack)
    final = await eg_stack.finish(started["id"])
    assert final["images"][0]["phase"] == "deleted"
    log = eg_stack.emulator.request_log
    created = next(
        i for i, r in enumerate(log) if r.operation == "gallery_image_versions.create_or_update"
    )
    # Until the version is made, one read decides and plans; the delete's safety checks later
    # read it again (before and after listing scale sets), by design.
    planning = [
        r
        for r in log[:created]
        if r.operation == "images.get" and r.path.lower().startswith(NEW.lower())
    ]
    assert len(planning) == 1, [(r.time, r.status) for r in planning]


async def test_a_policy_naming_a_region_the_subscription_lacks_starts_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    port = free_port()
    config = EmulatorConfig(event_grid_webhook=f"http://127.0.0.1:{port}{WEBHOOK}")
    policy = {**POLICY, "EVENTGRID_TARGET_REGIONS": "eastus=1, westus9=1"}
    async with open_stack(policy, config, host_port=port) as stack:
        await write_image(stack, NEW, migrateToGallery="true")
        assert [d.status for d in stack.emulator.deliveries] == [202]
        assert await migrations(stack) == []
        made = [r for r in stack.emulator.request_log if r.operation.startswith("gallery")]
        assert made == [], "nothing read or created in the gallery"
    assert "the Event Grid policy is not valid" in caplog.text
    assert "targetRegions[1].name: 'westus9' is not a region of subscription" in caplog.text


CORPUS = json.loads((Path(__file__).parents[1] / "data" / "event-grid-deliveries.json").read_text())


def corpus_event(case: dict[str, Any]) -> dict[str, Any]:
    event = dict(case["event"])
    if "subjectRepeat" in case:
        text, times = case["subjectRepeat"]
        event["subject"] = text * times
    return event


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
async def test_an_event_the_app_cannot_use_is_ignored_with_a_log_line(
    caplog: pytest.LogCaptureFixture, case: dict[str, Any]
) -> None:
    caplog.set_level(logging.INFO)
    headers = {"aeg-event-type": "Notification"}
    async with open_stack(POLICY, EmulatorConfig()) as stack:
        url = stack.base_url + WEBHOOK
        async with stack.http.post(url, json=[corpus_event(case)], headers=headers) as r:
            # 202: the function ran and returned (a 500 would say it raised).
            assert r.status == 202, await r.text()
        assert await migrations(stack) == []
        assert stack.host.engine.instances() == []
    ignored = [r.getMessage() for r in caplog.records if r.name == "triggers.event_grid"]
    assert any("ignored" in m and case["log"] in m for m in ignored), ignored
    # Untrusted text is quoted escaped: no line of the log starts where an event says.
    assert all("\n" not in m and len(m) < 1000 for m in ignored), ignored
