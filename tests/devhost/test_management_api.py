"""The Durable HTTP API: routes, payloads and status codes, raw and through the SDK's client."""

from __future__ import annotations

import json
from typing import Any

from devhost.testing import RunningHost
from tests.devhost.conftest import start, status

API = "runtime/webhooks/durabletask"


async def client_op(patterns: RunningHost, op: str, instance_id: str = "", **query: str) -> Any:
    url = patterns.url(f"api/client/{op}/{instance_id}")
    async with patterns.http.post(url, params=query) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_start_with_instance_id_and_input_over_raw_http(patterns: RunningHost) -> None:
    url = patterns.url(f"{API}/orchestrators/echo_input/my-id")
    async with patterns.http.post(url, json={"size": 3}) as response:
        assert response.status == 202
        body = await response.json()
        assert response.headers["Location"] == body["statusQueryGetUri"]
        assert response.headers["Retry-After"] == "10"
    assert body["id"] == "my-id"
    assert set(body) == {
        "id",
        "statusQueryGetUri",
        "sendEventPostUri",
        "terminatePostUri",
        "purgeHistoryDeleteUri",
        "restartPostUri",
        "suspendPostUri",
        "resumePostUri",
    }
    final = await patterns.wait_for_status(body["statusQueryGetUri"])
    assert final["input"] == {"size": 3}
    assert final["output"]["echoed"] == {"size": 3}


async def test_start_errors(patterns: RunningHost) -> None:
    async with patterns.http.post(patterns.url(f"{API}/orchestrators/nope")) as response:
        assert response.status == 400
        error = await response.json()
    assert error["ExceptionMessage"].startswith(
        "The function 'nope' doesn't exist, is disabled, or is not an orchestrator function."
    )
    url = patterns.url(f"{API}/orchestrators/chain")
    async with patterns.http.post(
        url, data="{not json", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["Message"] == "Invalid JSON content"


async def test_starting_a_running_id_conflicts(patterns: RunningHost) -> None:
    await start(patterns, "waits_for_go", instance_id="singleton")
    await patterns.host.run_until_idle()
    url = patterns.url(f"{API}/orchestrators/waits_for_go/singleton")
    async with patterns.http.post(url) as response:
        assert response.status == 409
        assert "already exists" in (await response.json())["Message"]
    # The SDK's start_new raises, as on Azure; the app's starter turns that into its own 409.
    async with patterns.http.post(patterns.url("api/start/waits_for_go/singleton")) as response:
        assert response.status == 409
        assert "An Orchestration instance with the status Running already exists." in (
            await response.text()
        )
    # Once the instance is finished the id can be used again.
    await client_op(patterns, "terminate", "singleton")
    await patterns.host.run_until_idle()
    await start(patterns, "chain", instance_id="singleton")
    await patterns.host.run_until_idle()
    assert (await status(patterns, "singleton"))[1]["name"] == "chain"


async def test_status_codes_and_options(patterns: RunningHost) -> None:
    code, body = await status(patterns, "missing")
    assert (code, body) == (404, None)
    assert (await client_op(patterns, "status", "missing")) == {"found": False}

    started = await start(patterns, "waits_for_go", {"note": "in"})
    await patterns.host.run_until_idle()
    async with patterns.http.get(started["statusQueryGetUri"]) as response:
        assert response.status == 202
        assert response.headers["Retry-After"] == "5"
        assert response.headers["Location"] == started["statusQueryGetUri"]
        running = await response.json()
    assert running["runtimeStatus"] == "Running"
    assert running["input"] == '{"note": "in"}'  # the client serialises its input twice
    assert set(running) == {
        "name",
        "instanceId",
        "runtimeStatus",
        "input",
        "customStatus",
        "output",
        "createdTime",
        "lastUpdatedTime",
    }
    code, hidden = await status(patterns, started["id"], "?showInput=false")
    assert hidden["input"] is None

    _, final = await status(patterns, (await start(patterns, "chain"))["id"])
    done = await patterns.wait_for_status(patterns.url(f"{API}/instances/{final['instanceId']}"))
    _, with_history = await status(
        patterns, done["instanceId"], "?showHistory=true&showHistoryOutput=true"
    )
    events = with_history["historyEvents"]
    assert [e["EventType"] for e in events] == [
        "ExecutionStarted",
        "TaskCompleted",
        "TaskCompleted",
        "TaskCompleted",
        "ExecutionCompleted",
    ]
    assert events[1]["FunctionName"] == "hello"
    assert events[1]["Result"] == "Hello Tokyo!"
    assert "ScheduledTime" in events[1]
    _, no_output = await status(patterns, done["instanceId"], "?showHistory=true")
    assert "Result" not in no_output["historyEvents"][1]

    # The SDK client sees the same history (as the status' historyEvents).
    seen = await client_op(patterns, "status", done["instanceId"], history="1")
    assert seen["runtimeStatus"] == "Completed"
    assert len(seen["historyEvents"]) == len(events)


async def test_failed_status_is_200_unless_asked_for_500(patterns: RunningHost) -> None:
    failed = await patterns.wait_for_status((await start(patterns, "failing"))["statusQueryGetUri"])
    code, _ = await status(patterns, failed["instanceId"])
    assert code == 200
    code, _ = await status(
        patterns, failed["instanceId"], "?returnInternalServerErrorOnFailure=true"
    )
    assert code == 500


async def test_raise_event_codes(patterns: RunningHost) -> None:
    url = patterns.url(f"{API}/instances/nobody/raiseEvent/go")
    async with patterns.http.post(url, json=1) as response:
        assert response.status == 404
    started = await start(patterns, "waits_for_go")
    await patterns.host.run_until_idle()
    url = started["sendEventPostUri"].replace("{eventName}", "go")
    async with patterns.http.post(
        url, data="1", headers={"Content-Type": "text/plain"}
    ) as response:
        assert response.status == 400
    async with patterns.http.post(
        url, data="{x", headers={"Content-Type": "application/json"}
    ) as response:
        assert response.status == 400
    for value in ("first", "second"):
        async with patterns.http.post(url, json=value) as response:
            assert response.status == 202
    final = await patterns.wait_for_status(started["statusQueryGetUri"])
    assert final["output"]["events"] == ["first", "second"]
    async with patterns.http.post(url, json="late") as response:
        assert response.status == 410


async def test_terminate(patterns: RunningHost) -> None:
    started = await start(patterns, "waits_for_go")
    await patterns.host.run_until_idle()
    url = started["terminatePostUri"].replace("{text}", "no longer needed")
    async with patterns.http.post(url) as response:
        assert response.status == 202
    await patterns.host.run_until_idle()
    _, final = await status(patterns, started["id"])
    assert (final["runtimeStatus"], final["output"]) == ("Terminated", "no longer needed")
    async with patterns.http.post(url) as response:
        assert response.status == 410
    async with patterns.http.post(patterns.url(f"{API}/instances/nobody/terminate")) as response:
        assert response.status == 404


async def test_terminating_an_instance_before_it_runs_keeps_its_start(
    patterns: RunningHost,
) -> None:
    engine = patterns.host.engine
    instance_id = engine.start_instance("waits_for_go", None, None)
    engine.terminate(instance_id, "never mind")
    await patterns.host.run_until_idle()
    found = patterns.host.get_status(instance_id, show_history=True)
    assert found is not None
    assert found["runtimeStatus"] == "Terminated"
    assert found["historyEvents"][0]["EventType"] == "ExecutionStarted"


async def test_suspend_buffers_events_and_resume_runs_them_in_one_episode(
    patterns: RunningHost,
) -> None:
    started = await start(patterns, "waits_for_go")
    instance_id = started["id"]
    await patterns.host.run_until_idle()
    await client_op(patterns, "suspend", instance_id)
    await patterns.host.run_until_idle()
    code, suspended = await status(patterns, instance_id)
    assert (code, suspended["runtimeStatus"]) == (202, "Suspended")
    replays = patterns.host.instance_stats(instance_id).replays
    go = started["sendEventPostUri"].replace("{eventName}", "go")
    for value in (1, 2):
        async with patterns.http.post(go, json=value) as response:
            assert response.status == 202
    await patterns.host.run_until_idle()
    assert (await status(patterns, instance_id))[1]["runtimeStatus"] == "Suspended"
    assert patterns.host.instance_stats(instance_id).replays == replays

    await client_op(patterns, "resume", instance_id)
    await patterns.host.run_until_idle()
    _, final = await status(patterns, instance_id)
    assert final["output"]["events"] == [1, 2]
    # The resume and both events were one batch; then the activity's completion.
    assert patterns.host.instance_stats(instance_id).replays == replays + 2


async def test_purge(patterns: RunningHost) -> None:
    started = await start(patterns, "waits_for_go")
    await patterns.host.run_until_idle()
    async with patterns.http.delete(started["purgeHistoryDeleteUri"]) as response:
        assert response.status == 412
    await client_op(patterns, "terminate", started["id"])
    await patterns.host.run_until_idle()
    assert await client_op(patterns, "purge", started["id"]) == {"deleted": 1}
    assert (await status(patterns, started["id"]))[0] == 404
    async with patterns.http.delete(started["purgeHistoryDeleteUri"]) as response:
        assert response.status == 404


async def test_purge_by_filter(patterns: RunningHost) -> None:
    for _ in range(3):
        await start(patterns, "chain")
    await patterns.host.run_until_idle()
    async with patterns.http.delete(patterns.url(f"{API}/instances/")) as response:
        assert response.status == 400
    url = patterns.url(f"{API}/instances/?createdTimeFrom=2029-12-31T00:00:00.000000Z")
    async with patterns.http.delete(url + "&runtimeStatus=Failed") as response:
        assert response.status == 404
    async with patterns.http.delete(url + "&runtimeStatus=Completed") as response:
        assert response.status == 200
        assert await response.json() == {"instancesDeleted": 3}
    assert patterns.host.engine.instances() == []


async def test_list_filter_and_continuation(patterns: RunningHost) -> None:
    ids = [f"batch-{n}" for n in range(5)]
    for instance_id in ids:
        await start(patterns, "waits_for_go", instance_id=instance_id)
    await start(patterns, "chain", instance_id="other")
    await patterns.host.run_until_idle()

    assert await client_op(patterns, "list") == sorted([*ids, "other"])
    assert await client_op(patterns, "running") == ids

    pages: list[list[str]] = []
    token = None
    while True:
        headers: dict[str, str] = {"x-ms-continuation-token": token} if token else {}
        url = patterns.url(f"{API}/instances/?top=2&instanceIdPrefix=batch-&showInput=false")
        async with patterns.http.get(url, headers=headers) as response:
            assert response.status == 200
            pages.append([s["instanceId"] for s in await response.json()])
            token = response.headers.get("x-ms-continuation-token")
        if not token:
            break
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    url = patterns.url(f"{API}/instances/?runtimeStatus=Completed")
    async with patterns.http.get(url) as response:
        assert [s["instanceId"] for s in await response.json()] == ["other"]


async def test_wait_for_completion_or_check_status(patterns: RunningHost) -> None:
    started = await start(patterns, "chain")
    async with patterns.http.post(patterns.url(f"api/client/wait/{started['id']}")) as response:
        assert response.status == 200
        assert json.loads(await response.text()) == [
            "Hello Tokyo!",
            "Hello Seattle!",
            "Hello London!",
        ]
    waiting = await start(patterns, "waits_for_go")
    async with patterns.http.post(patterns.url(f"api/client/wait/{waiting['id']}")) as response:
        assert response.status == 202
        assert (await response.json())["id"] == waiting["id"]


async def test_create_and_wait_over_the_api(patterns: RunningHost) -> None:
    url = patterns.url(f"{API}/orchestrators/fan_out?timeout=5&pollingInterval=1")
    # Python clients send JSON text as a JSON string (the SDK's get_input expects text); a bare
    # number would reach get_input as an int and fail, as it does on Azure.
    async with patterns.http.post(url, json="4") as response:
        assert response.status == 200
        assert await response.json() == 12


async def test_restart_and_rewind(patterns: RunningHost) -> None:
    first = await patterns.wait_for_status((await start(patterns, "chain"))["statusQueryGetUri"])
    restart = patterns.url(f"{API}/instances/{first['instanceId']}/restart")
    async with patterns.http.post(restart) as response:
        assert response.status == 202
        again = await response.json()
    assert again["id"] != first["instanceId"]
    assert (await patterns.wait_for_status(again["statusQueryGetUri"]))[
        "runtimeStatus"
    ] == "Completed"
    async with patterns.http.post(restart + "?restartWithNewInstanceId=false") as response:
        assert response.status == 202
        assert (await response.json())["id"] == first["instanceId"]

    rewind = patterns.url(f"{API}/instances/{first['instanceId']}/rewind")
    await patterns.host.run_until_idle()
    async with patterns.http.post(rewind) as response:
        assert response.status == 412
    failed = await patterns.wait_for_status((await start(patterns, "failing"))["statusQueryGetUri"])
    async with patterns.http.post(
        patterns.url(f"{API}/instances/{failed['instanceId']}/rewind")
    ) as response:
        assert response.status == 501
