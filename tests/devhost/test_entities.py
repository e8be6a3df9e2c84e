"""Durable entities through the app's own HTTP functions and the Durable HTTP API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from devhost.entity_protocol import request_guid
from devhost.history import parse_timestamp
from devhost.testing import DEFAULT_START, RunningHost, running_host
from tests.devhost.conftest import APPS, start, status

ENTITIES = APPS / "entities"
API = "runtime/webhooks/durabletask"


@pytest.fixture
async def app() -> AsyncIterator[RunningHost]:
    async with running_host(ENTITIES) as running:
        yield running


async def run(app: RunningHost, name: str, payload: Any = None) -> tuple[str, dict[str, Any]]:
    started = await start(app, name, payload)
    final = await app.wait_for_status(started["statusQueryGetUri"])
    return started["id"], final


async def read(app: RunningHost, name: str, key: str) -> dict[str, Any]:
    """The entity's state through the SDK's read_entity_state (the app's function)."""
    async with app.http.get(app.url(f"api/entity/{name}/{key}")) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def signal(app: RunningHost, name: str, key: str, operation: str, value: Any) -> int:
    """The SDK's client.signal_entity (the app's function); its HTTP status."""
    url = app.url(f"api/entity/{name}/{key}/{operation}")
    async with app.http.post(url, json=value) as response:
        return response.status


def history(app: RunningHost, instance_id: str) -> list[dict[str, Any]]:
    found = app.host.get_status(instance_id, show_history=True)
    assert found is not None
    events: list[dict[str, Any]] = found["historyEvents"]
    return events


async def test_calls_run_in_order_and_the_state_persists(app: RunningHost) -> None:
    ops = [["add", 1], ["add", 2], ["get", None]]
    instance_id, final = await run(app, "counter_ops", {"key": "k", "ops": ops})
    assert (final["runtimeStatus"], final["output"]) == ("Completed", [1, 3, 3])
    assert await read(app, "Counter", "k") == {"exists": True, "state": 3}

    # What the extension records: EventSent of the request, the response as an EventRaised
    # named by the request's id.
    events = history(app, instance_id)
    requests = [json.loads(e["Input"]) for e in events if e["EventType"] == "EventSent"]
    assert [e["InstanceId"] for e in events if e["EventType"] == "EventSent"] == ["@counter@k"] * 3
    assert [r["op"] for r in requests] == ["add", "add", "get"]
    assert requests[0]["id"] == request_guid(instance_id, app.clock.now(), 0)
    responses = [e["Name"] for e in events if e["EventType"] == "EventRaised"]
    assert responses == [r["id"] for r in requests]


async def test_many_calls_at_once_are_one_batch_and_none_is_lost(app: RunningHost) -> None:
    _, final = await run(app, "parallel_adds", {"key": "p", "n": 10})
    # One operation at a time: each call saw a different count.
    assert sorted(final["output"]) == list(range(1, 11))
    entity = app.host.engine.entity("Counter", "p")
    assert entity is not None
    assert (entity.state, entity.batches, entity.operations) == ("10", 1, 10)


async def test_a_signal_is_processed_before_a_later_call_from_the_same_orchestration(
    app: RunningHost,
) -> None:
    _, final = await run(app, "signal_then_get", "s")
    assert final["output"] == 3


async def test_an_operation_that_raises_fails_the_call(app: RunningHost) -> None:
    _, caught = await run(app, "catch_failure")
    assert caught["output"] == "caught: counter says no"
    _, uncaught = await run(app, "uncaught_failure")
    assert uncaught["runtimeStatus"] == "Failed"
    assert uncaught["output"].startswith(
        "Orchestrator function 'uncaught_failure' failed: counter says no"
    )
    # The failed operations created nothing.
    assert await read(app, "Counter", "c") == {"exists": False, "state": None}


async def test_a_failed_operation_keeps_its_state_changes(app: RunningHost) -> None:
    # The Python SDK does not roll back an operation that raises (the extension's
    # rollbackEntityOperationsOnExceptions applies to .NET entities only): the state it set stays.
    ops = [["add", 1], ["add_then_fail", 10]]
    started = await start(app, "counter_ops", {"key": "r", "ops": ops})
    final = await app.wait_for_status(started["statusQueryGetUri"])
    assert "added, then failed" in final["output"]
    assert await read(app, "Counter", "r") == {"exists": True, "state": 11}


async def test_client_signals_and_reads(app: RunningHost) -> None:
    assert await read(app, "Counter", "client") == {"exists": False, "state": None}
    assert await signal(app, "Counter", "client", "add", 5) == 202
    assert await signal(app, "Counter", "client", "add", 4) == 202
    await app.host.run_until_idle()
    assert await read(app, "Counter", "client") == {"exists": True, "state": 9}
    async with app.http.get(app.url(f"{API}/entities/counter/client")) as response:
        assert (response.status, await response.json()) == (200, 9)
    async with app.http.get(app.url(f"{API}/entities/counter/nobody")) as response:
        assert response.status == 404


async def test_a_falsy_input_to_a_client_signal_never_reaches_the_entity(app: RunningHost) -> None:
    # The SDK's client.signal_entity posts no body for a falsy input (`if operation_input`), the
    # entity's get_input() then fails on the missing input, and a signal has nobody to tell.
    assert await signal(app, "Counter", "z", "add", 5) == 202
    assert await signal(app, "Counter", "z", "add", 0) == 202
    await app.host.run_until_idle()
    assert app.host.app_module.OPERATIONS == [("z", "add"), ("z", "add")]
    assert await read(app, "Counter", "z") == {"exists": True, "state": 5}


async def test_deleting_the_state(app: RunningHost) -> None:
    assert await signal(app, "Counter", "d", "add", 1) == 202
    assert await signal(app, "Counter", "d", "delete", None) == 202
    await app.host.run_until_idle()
    assert await read(app, "Counter", "d") == {"exists": False, "state": None}
    async with app.http.get(app.url(f"{API}/entities/counter/d")) as response:
        assert response.status == 404
    # Signalled again, it starts from nothing.
    assert await signal(app, "Counter", "d", "add", 2) == 202
    await app.host.run_until_idle()
    assert await read(app, "Counter", "d") == {"exists": True, "state": 2}


async def test_the_durable_http_api_signals_deletes_and_lists(app: RunningHost) -> None:
    base = app.url(f"{API}/entities/Counter")
    # A raw JSON body is the operation's input as is: the SDK decodes it once more, so a JSON
    # string holding JSON is what an integer input takes (as the SDK's own client sends it).
    async with app.http.post(f"{base}/a?op=add", json="7") as response:
        assert (response.status, await response.text()) == (202, "")
    async with app.http.post(f"{base}/b?op=add", json="1") as response:
        assert response.status == 202
    async with app.http.delete(f"{base}/b") as response:  # DELETE signals "delete"
        assert response.status == 202
    await app.host.run_until_idle()
    async with app.http.get(app.url(f"{API}/entities/counter?fetchState=true")) as response:
        assert response.status == 200
        listed = await response.json()
    assert listed == [
        {
            "entityId": {"name": "counter", "key": "a"},
            "lastOperationTime": "2030-01-01T00:00:00Z",
            "state": 7,
        }
    ]
    async with app.http.post(f"{base}/c?op=add", json="1") as response:
        assert response.status == 202
    await app.host.run_until_idle()
    # Pages of the existing entities, in id order, the state only when asked for.
    async with app.http.get(app.url(f"{API}/entities/?top=1")) as response:
        assert [(e["entityId"]["key"], e["state"]) for e in await response.json()] == [("a", None)]
        token = response.headers["x-ms-continuation-token"]
    assert token == "@counter@c"
    headers = {"x-ms-continuation-token": token}
    async with app.http.get(app.url(f"{API}/entities/?top=1"), headers=headers) as response:
        assert [e["entityId"]["key"] for e in await response.json()] == ["c"]
        assert "x-ms-continuation-token" not in response.headers


async def test_bad_signals_answer_400(app: RunningHost) -> None:
    base = app.url(f"{API}/entities")
    async with app.http.post(f"{base}/Nowhere/k?op=x") as response:
        assert response.status == 400
        assert (await response.json())["Message"] == (
            "The function 'nowhere' doesn't exist, is disabled, or is not an entity function. "
            "Additional info: The following are the known entity functions: 'Counter', "
            "'ArmBudget'."
        )
    headers = {"Content-Type": "application/json"}
    async with app.http.post(f"{base}/Counter/k?op=add", data="{", headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["Message"].startswith("Could not parse JSON content: ")
    async with app.http.post(f"{base}/Counter/a%23b?op=add") as response:
        assert response.status == 400
        assert "Entity keys must not contain" in (await response.json())["Message"]
    # The SDK's client raises on the 400.
    url = app.url("api/entity/Nowhere/k/add")
    async with app.http.post(url, json=1) as response:
        assert response.status == 400
        assert "unexpected status code 400" in await response.text()


async def test_entities_are_instances_in_the_instances_api(app: RunningHost) -> None:
    assert await signal(app, "Counter", "listed", "add", 2) == 202
    await app.host.run_until_idle()
    code, body = await status(app, "@counter@listed")
    assert code == 202  # Running, as an entity always is
    assert body == {
        "name": "@counter@listed",
        "instanceId": "@counter@listed",
        "runtimeStatus": "Running",
        "input": {"exists": True, "state": "2"},
        "customStatus": {"entityExists": True},
        "output": None,
        "createdTime": "2030-01-01T00:00:00Z",
        "lastUpdatedTime": "2030-01-01T00:00:00Z",
    }
    async with app.http.get(app.url(f"{API}/instances/?runtimeStatus=Running")) as response:
        assert [i["instanceId"] for i in await response.json()] == ["@counter@listed"]
    async with app.http.delete(app.url(f"{API}/instances/@counter@listed")) as response:
        assert response.status == 412


async def test_an_orchestration_id_may_not_start_with_an_at_sign(app: RunningHost) -> None:
    url = app.url(f"{API}/orchestrators/counter_ops/@counter@x")
    async with app.http.post(url, json={"key": "x", "ops": []}) as response:
        assert response.status == 400
        assert (await response.json())["ExceptionMessage"] == (
            "instanceId (Parameter 'Orchestration instance ids must not start with @.')"
        )


async def test_signals_are_sent_however_the_episode_ends(app: RunningHost) -> None:
    _, finished = await run(app, "signal_and_finish", {"key": "f", "amount": 4})
    assert finished["output"] == "sent"
    _, failed = await run(app, "signal_and_fail", "f")
    assert failed["runtimeStatus"] == "Failed"
    _, rounds = await run(app, "signal_rounds", {"key": "f", "rounds": 3})
    assert rounds["output"] == "done"
    await app.host.run_until_idle()
    assert await read(app, "Counter", "f") == {"exists": True, "state": 4 + 1 + 3}


async def test_a_call_to_an_undefined_entity_fails_the_orchestration(app: RunningHost) -> None:
    _, final = await run(app, "call_unknown")
    assert final["runtimeStatus"] == "Failed"
    assert "The function 'nowhere' doesn't exist" in final["output"]


async def test_a_shared_budget_never_grants_more_than_it_holds(app: RunningHost) -> None:
    assert await signal(app, "ArmBudget", "arm", "refill", 3) == 202
    await app.host.run_until_idle()
    started = [await start(app, "budgeted_call", None, f"job-{i}") for i in range(6)]
    outputs = [(await app.wait_for_status(s["statusQueryGetUri"]))["output"] for s in started]
    granted = [o for o in outputs if o != "throttled"]
    assert len(granted) == 3
    assert outputs.count("throttled") == 3
    assert (await read(app, "ArmBudget", "arm"))["state"] == {"tokens": 0, "granted": 3}


async def test_operation_times_follow_the_host_clock(app: RunningHost) -> None:
    assert await signal(app, "Counter", "t", "add", 1) == 202
    await app.host.run_until_idle()
    app.clock.advance(timedelta(minutes=5, microseconds=250))
    assert await signal(app, "Counter", "t", "add", 1) == 202
    await app.host.run_until_idle()
    code, body = await status(app, "@counter@t")
    assert code == 202
    assert parse_timestamp(body["createdTime"]) == DEFAULT_START
    assert body["lastUpdatedTime"] == "2030-01-01T00:05:00Z"  # whole seconds, as .NET's "s"
    async with app.http.get(app.url(f"{API}/entities/counter")) as response:
        (listed,) = await response.json()
    assert listed["lastOperationTime"] == "2030-01-01T00:05:00.00025Z"
