"""The Event Grid webhook: delivery in both schemas, and the validation handshakes."""

from __future__ import annotations

import json
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


VALIDATION_CODE = "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"
FUNCTION_FAILED = "Exception while executing function: Functions.on_image_written"


def validation_event(data: Any) -> dict[str, Any]:
    return {
        "id": "v1",
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "subject": "",
        "eventTime": "2030-01-01T00:00:00Z",
        "dataVersion": "2",
        "data": data,
    }


async def post(
    running: RunningHost, kind: str | None, body: str | bytes, url: str = WEBHOOK
) -> tuple[int, dict[str, str], bytes]:
    headers = {"aeg-event-type": kind} if kind else {}
    async with running.http.post(running.url(url), data=body, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def test_subscription_validation_handshake(patterns: RunningHost) -> None:
    body = json.dumps([validation_event({"validationCode": VALIDATION_CODE})])
    code, headers, answer = await post(patterns, "SubscriptionValidation", body)
    assert code == 200
    # System.Text.Json's compact text in a StringContent: text/plain, as the extension answers.
    assert answer == b'{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}'
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert patterns.host.app_module.EVENTS == []


async def test_cloud_event_validation_reads_double_encoded_data(patterns: RunningHost) -> None:
    for data in (json.dumps({"validationCode": "abc"}), {"validationCode": "abc"}):
        event = {"specversion": "1.0", "type": "validation", "id": "1", "data": data}
        code, _, answer = await post(patterns, "SubscriptionValidation", json.dumps(event))
        assert (code, answer) == (200, b'{"validationResponse":"abc"}')
    # Codes that are not strings come back as Newtonsoft writes them.
    for value, text in ((123, "123"), (None, ""), (True, "True")):
        body = json.dumps([validation_event({"validationCode": value})])
        code, _, answer = await post(patterns, "subscriptionvalidation", body)
        assert (code, json.loads(answer)) == (200, {"validationResponse": text})


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("SubscriptionValidation", json.dumps([validation_event({"code": "x"})])),
        ("SubscriptionValidation", json.dumps([validation_event(None)])),
        ("SubscriptionValidation", json.dumps([])),
        ("SubscriptionValidation", json.dumps([1])),
        ("SubscriptionValidation", json.dumps(42)),
        ("SubscriptionValidation", "not json"),
        ("SubscriptionValidation", json.dumps({"specversion": "1.0", "data": "not json"})),
        ("Notification", "not json"),
        ("Notification", ""),
        ("Notification", json.dumps("an event")),
        ("Notification", json.dumps(None)),
    ],
)
async def test_envelopes_the_extension_cannot_read_are_host_errors(
    patterns: RunningHost, caplog: pytest.LogCaptureFixture, kind: str, body: str
) -> None:
    # The extension throws; the host's ExceptionMiddleware answers 500 with nothing else.
    code, headers, answer = await post(patterns, kind, body)
    assert (code, answer, headers.get("Content-Type")) == (500, b"", None)
    assert any(r.getMessage().startswith("An unhandled host error") for r in caplog.records)
    assert patterns.host.app_module.EVENTS == []


async def test_cloud_events_abuse_protection_handshake(patterns: RunningHost) -> None:
    for origin, allowed in (
        ("eventgrid.azure.net", "eventgrid.azure.net"),
        ("eventgrid.azure.us", "eventgrid.azure.us"),
        ("attacker.example", "eventgrid.azure.net"),
        (None, "eventgrid.azure.net"),
    ):
        headers = {"WebHook-Request-Origin": origin} if origin else {}
        async with patterns.http.options(patterns.url(WEBHOOK), headers=headers) as response:
            assert response.status == 200
            assert response.headers["WebHook-Allowed-Origin"] == allowed
            assert "WebHook-Allowed-Rate" not in response.headers
    nope = "runtime/webhooks/eventgrid?functionName=nope"
    async with patterns.http.options(patterns.url(nope)) as response:
        assert response.status == 404  # the function is looked up first


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


async def test_cloud_events_batch_and_events_without_type_or_data(patterns: RunningHost) -> None:
    batch = [
        {"specversion": "1.0", "id": f"c{n}", "type": "T", "source": "/s", "subject": IMAGE}
        for n in (1, 2)
    ]
    code, _, _ = await post(patterns, "Notification", json.dumps(batch))
    assert code == 202
    bare = {"id": "bare", "subject": IMAGE}  # no eventType, no data: delivered as it is
    code, _, _ = await post(patterns, "Notification", json.dumps([bare]))
    assert code == 202
    delivered = {e["id"]: e for e in patterns.host.app_module.EVENTS}
    assert sorted(delivered) == ["bare", "c1", "c2"]
    assert (delivered["bare"]["type"], delivered["bare"]["data"]) == (None, None)
    assert (await post(patterns, "Notification", "[]"))[0] == 202


async def test_function_failures(patterns: RunningHost, caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps([write_event("bad", IMAGE + "/fail")])
    code, headers, answer = await post(patterns, "Notification", body)
    assert (code, answer.decode()) == (500, FUNCTION_FAILED)
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    (failure,) = [r for r in caplog.records if r.getMessage().startswith("Executed")]
    assert failure.getMessage() == (
        "Executed 'Functions.on_image_written' (Failed): cannot handle this event"
    )
    assert failure.exc_info is not None


async def test_entries_that_are_not_objects_fail_without_stopping_the_others(
    patterns: RunningHost,
) -> None:
    body = json.dumps([write_event("good"), 1, "text", [write_event("nested")]])
    code, _, answer = await post(patterns, "Notification", body)
    assert (code, answer.decode()) == (500, FUNCTION_FAILED)
    assert [e["id"] for e in patterns.host.app_module.EVENTS] == ["good"]


async def test_routing_headers_and_methods(patterns: RunningHost) -> None:
    event = json.dumps([write_event("x")])
    code, _, answer = await post(patterns, "Notification", event, WEBHOOK.replace("=on_", "=On_"))
    assert (code, answer) == (404, b"cannot find function: 'On_image_written'")  # exact name
    code, _, answer = await post(patterns, "Notification", event, WEBHOOK.split("?")[0])
    assert (code, answer) == (404, b"cannot find function: ''")
    # The query's name and the extension's path segment ignore case; a tail is allowed.
    url = "runtime/webhooks/EventGrid/anything?FunctionName=on_image_written"
    assert (await post(patterns, "Notification", event, url))[0] == 202
    assert (await post(patterns, None, event))[:3:2] == (400, b"")  # no aeg-event-type
    assert (await post(patterns, "Unsubscribe", event))[0] == 202
    async with patterns.http.get(patterns.url(WEBHOOK)) as response:
        assert response.status == 400  # the route takes GET; the header decides
    async with patterns.http.patch(patterns.url(WEBHOOK), data=event) as response:
        assert response.status == 404  # a method the route does not take: no route
