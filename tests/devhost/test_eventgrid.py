"""The Event Grid webhook: delivery in both schemas, and the validation handshakes."""

from __future__ import annotations

from typing import Any

import pytest

from devhost.testing import RunningHost
from tests.devhost.conftest import status

WEBHOOK = "runtime/webhooks/eventgrid?functionName=on_image_written"
IMAGE = "/subscriptions/S/resourcegroups/rg/providers/Microsoft.Compute/images/img"


def write_event(event_id: str, subject: str = IMAGE) -> dict[str, Any]:
    return {
        "id": event_id,
        "eventType": "Microsoft.Resources.ResourceWriteSuccess",
        "eventTime": "2030-01-01T00:00:00Z",
        "subject": subject,
        "topic": "/subscriptions/S",
        "dataVersion": "2",
        "metadataVersion": "1",
        "data": {"operationName": "Microsoft.Compute/images/write", "status": "Succeeded"},
    }


async def test_subscription_validation_handshake(patterns: RunningHost) -> None:
    validation = [
        {
            "id": "v1",
            "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
            "subject": "",
            "eventTime": "2030-01-01T00:00:00Z",
            "dataVersion": "2",
            "data": {"validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"},
        }
    ]
    async with patterns.http.post(
        patterns.url(WEBHOOK),
        json=validation,
        headers={"aeg-event-type": "SubscriptionValidation"},
    ) as response:
        assert response.status == 200
        assert await response.json() == {
            "validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
        }
    assert patterns.host.app_module.EVENTS == []


async def test_cloud_events_abuse_protection_handshake(patterns: RunningHost) -> None:
    async with patterns.http.options(
        patterns.url(WEBHOOK), headers={"WebHook-Request-Origin": "eventgrid.azure.net"}
    ) as response:
        assert response.status == 200
        assert response.headers["WebHook-Allowed-Origin"] == "eventgrid.azure.net"


async def test_event_grid_schema_delivery_starts_orchestrations(patterns: RunningHost) -> None:
    events = [write_event("e1"), write_event("e2")]
    async with patterns.http.post(
        patterns.url(WEBHOOK), json=events, headers={"aeg-event-type": "Notification"}
    ) as response:
        assert response.status == 202
    delivered = sorted(patterns.host.app_module.EVENTS, key=lambda e: e["id"])
    assert [e["id"] for e in delivered] == ["e1", "e2"]
    assert delivered[0]["subject"] == IMAGE
    assert delivered[0]["type"] == "Microsoft.Resources.ResourceWriteSuccess"
    assert delivered[0]["data"]["operationName"] == "Microsoft.Compute/images/write"
    await patterns.host.run_until_idle()
    for event_id in ("e1", "e2"):
        code, body = await status(patterns, f"event-{event_id}")
        assert (code, body["runtimeStatus"]) == (200, "Completed")


async def test_cloud_event_delivery(patterns: RunningHost) -> None:
    cloud_event = {
        "specversion": "1.0",
        "id": "c1",
        "type": "Microsoft.Resources.ResourceWriteSuccess",
        "source": "/subscriptions/S",
        "subject": IMAGE,
        "time": "2030-01-01T00:00:00Z",
        "data": {"operationName": "Microsoft.Compute/images/write"},
    }
    async with patterns.http.post(
        patterns.url(WEBHOOK),
        json=cloud_event,
        headers={
            "aeg-event-type": "Notification",
            "Content-Type": "application/cloudevents+json; charset=utf-8",
        },
    ) as response:
        assert response.status == 202
    assert [e["id"] for e in patterns.host.app_module.EVENTS] == ["c1"]


async def test_failures_and_unknown_functions(
    patterns: RunningHost, caplog: pytest.LogCaptureFixture
) -> None:
    async with patterns.http.post(
        patterns.url(WEBHOOK),
        json=[write_event("bad", IMAGE + "/fail")],
        headers={"aeg-event-type": "Notification"},
    ) as response:
        assert response.status == 500
        assert "cannot handle this event" in await response.text()
    (failure,) = [r for r in caplog.records if r.getMessage().startswith("Executed")]
    assert failure.getMessage() == (
        "Executed 'Functions.on_image_written' (Failed): cannot handle this event"
    )
    assert failure.exc_info is not None
    async with patterns.http.post(
        patterns.url("runtime/webhooks/eventgrid?functionName=nope"),
        json=[write_event("x")],
        headers={"aeg-event-type": "Notification"},
    ) as response:
        assert response.status == 404
    async with patterns.http.post(patterns.url(WEBHOOK), json=[write_event("y")]) as response:
        assert response.status == 400  # no aeg-event-type header
