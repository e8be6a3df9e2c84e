"""One test per Durable pattern, each driven through the app's HTTP starter and status URL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from devhost.testing import DEFAULT_START, RunningHost
from tests.devhost.conftest import start, status


async def run(patterns: RunningHost, name: str, payload: Any = None) -> tuple[str, dict[str, Any]]:
    started = await start(patterns, name, payload)
    final = await patterns.wait_for_status(started["statusQueryGetUri"])
    return started["id"], final


def history_types(patterns: RunningHost, instance_id: str) -> list[str]:
    found = patterns.host.get_status(instance_id, show_history=True)
    assert found is not None
    return [event["EventType"] for event in found["historyEvents"]]


async def test_function_chaining(patterns: RunningHost) -> None:
    instance_id, final = await run(patterns, "chain")
    assert final["runtimeStatus"] == "Completed"
    assert final["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    assert final["customStatus"] == {"done": 3}
    assert patterns.host.app_module.CALLS["hello"] == 3
    stats = patterns.host.instance_stats(instance_id)
    # One episode to start, one per completed activity.
    assert stats.replays == 4
    # Started/Completed per episode, ExecutionStarted, 3 scheduled, 3 completed, ExecutionCompleted.
    assert stats.history_length == 4 * 2 + 1 + 3 + 3 + 1
    assert stats.orchestrator_cpu_seconds > 0


async def test_fan_out_fan_in(patterns: RunningHost) -> None:
    instance_id, final = await run(patterns, "fan_out", 25)
    assert final["runtimeStatus"] == "Completed"
    assert final["output"] == sum(2 * i for i in range(25))
    types = history_types(patterns, instance_id)
    assert types.count("TaskCompleted") == 25
    assert patterns.host.app_module.CALLS["double"] == 25
    assert patterns.host.instance_stats(instance_id).replays <= 26


async def test_monitor_polls_on_durable_timers(patterns: RunningHost) -> None:
    _, final = await run(patterns, "monitor", {"key": "image-1", "expiry_minutes": 60})
    assert final["output"]["polls"] == 3
    # Two five-minute timers elapsed on the virtual clock, no more.
    finished = DEFAULT_START + timedelta(minutes=10)
    assert final["output"]["finished_at"] == finished.isoformat()
    assert patterns.clock.now() == finished


async def test_monitor_gives_up_at_expiry(patterns: RunningHost) -> None:
    # poll says "done" on its third call for a key; with a 7-minute expiry only two polls fit.
    _, final = await run(patterns, "monitor", {"key": "image-2", "expiry_minutes": 7})
    assert final["output"] == {"polls": 2, "expired": True}


async def test_continue_as_new(patterns: RunningHost) -> None:
    instance_id, final = await run(patterns, "countdown", 3)
    assert final["runtimeStatus"] == "Completed"
    assert final["output"] == "lift-off"
    assert patterns.clock.now() == DEFAULT_START + timedelta(hours=3)
    # Each execution starts a fresh history: the last one never saw the earlier timers.
    assert history_types(patterns, instance_id) == ["ExecutionStarted", "ExecutionCompleted"]
    assert patterns.host.instance_stats(instance_id).replays == 3 * 2 + 1


async def test_human_interaction_approval_wins_and_timer_is_cancelled(
    patterns: RunningHost,
) -> None:
    started = await start(patterns, "approval", {"days": 3})
    await patterns.host.run_until_idle()
    code, running = await status(patterns, started["id"])
    assert (code, running["runtimeStatus"]) == (202, "Running")

    # The SDK's client serialises the payload twice (json.dumps, then aiohttp's json=), and the
    # extension keeps the text it was sent: the orchestrator receives a JSON string, as on Azure.
    async with patterns.http.post(
        patterns.url(f"api/client/raise/{started['id']}?event=Approval"), json={"by": "ann"}
    ) as response:
        assert response.status == 200
    await patterns.host.run_until_idle()
    code, final = await status(patterns, started["id"])
    assert code == 200
    assert final["runtimeStatus"] == "Completed"
    assert final["output"] == {"approved": '{"by": "ann"}', "type": "str"}
    # The losing timer was cancelled: nothing is left to fire and the clock never moved.
    assert await patterns.host.advance_to_next_timer() is False
    assert patterns.clock.now() == DEFAULT_START


async def test_raw_http_event_arrives_as_json(patterns: RunningHost) -> None:
    started = await start(patterns, "approval", {"days": 3})
    await patterns.host.run_until_idle()
    url = started["sendEventPostUri"].replace("{eventName}", "Approval")
    async with patterns.http.post(url, json={"by": "bob"}) as response:
        assert response.status == 202
    final = await patterns.wait_for_status(started["statusQueryGetUri"])
    assert final["output"] == {"approved": {"by": "bob"}, "type": "dict"}


async def test_human_interaction_times_out(patterns: RunningHost) -> None:
    _, final = await run(patterns, "approval", {"days": 2})
    assert final["output"] == {"approved": None, "timed_out": True}
    assert patterns.clock.now() == DEFAULT_START + timedelta(days=2)


async def test_uncancelled_losing_timer_keeps_the_instance_running(patterns: RunningHost) -> None:
    started = await start(patterns, "approval_without_cancel")
    await patterns.host.run_until_idle()
    url = started["sendEventPostUri"].replace("{eventName}", "Approval")
    async with patterns.http.post(url, json=True) as response:
        assert response.status == 202
    await patterns.host.run_until_idle()
    # DurableTask completes an instance only when no task is open, timers included.
    _, waiting = await status(patterns, started["id"])
    assert waiting["runtimeStatus"] == "Running"
    assert await patterns.host.advance_to_next_timer() is True
    _, final = await status(patterns, started["id"])
    assert (final["runtimeStatus"], final["output"]) == ("Completed", "approved")


async def test_long_timer_is_chained_in_three_day_steps(patterns: RunningHost) -> None:
    instance_id, final = await run(patterns, "long_sleep")
    woke = DEFAULT_START + timedelta(days=10)
    assert final["output"] == woke.isoformat()
    # The SDK splits timers over six days: 3 days, 3 more, then the last 4 (at most 6).
    assert history_types(patterns, instance_id).count("TimerCreated") == 3


async def test_sub_orchestrations(patterns: RunningHost) -> None:
    instance_id, final = await run(patterns, "parent")
    assert final["runtimeStatus"] == "Completed"
    named, unnamed, failure = final["output"]
    assert named == {"greeting": "Hello Ada!", "parent": instance_id}
    assert unnamed == {"greeting": "Hello Grace!", "parent": instance_id}
    assert (
        failure == "child failed: Orchestrator function 'failing' failed: the orchestrator gave up"
    )
    code, child = await status(patterns, f"{instance_id}-child")
    assert (code, child["runtimeStatus"], child["name"]) == (200, "Completed", "child")
    # A sub-orchestration without an id gets "<parent execution id>:<sequence number>".
    ids = [i.instance_id for i in patterns.host.engine.instances()]
    assert any(i.endswith(":1") for i in ids)
    assert any(i.endswith(":2") for i in ids)


async def test_retry_until_success(patterns: RunningHost) -> None:
    instance_id, final = await run(
        patterns, "retrying", {"key": "ok", "succeed_on": 3, "attempts": 5}
    )
    assert final["output"] == "succeeded on attempt 3"
    assert patterns.clock.now() == DEFAULT_START + timedelta(seconds=60)
    types = history_types(patterns, instance_id)
    assert types.count("TaskFailed") == 2
    assert types.count("TimerCreated") == 2


async def test_retry_until_failure(patterns: RunningHost) -> None:
    instance_id, final = await run(
        patterns, "retrying", {"key": "ko", "succeed_on": 10, "attempts": 3}
    )
    assert final["runtimeStatus"] == "Failed"
    assert final["output"].startswith(
        "Orchestrator function 'retrying' failed: Activity function 'flaky' failed: "
        "ValueError: attempt 3 failed"
    )
    assert patterns.host.app_module.CALLS["ko"] == 3
    # DurableTask's retry interceptor waits out one more interval after the last attempt.
    assert history_types(patterns, instance_id).count("TimerCreated") == 3


async def test_orchestrator_failure(patterns: RunningHost) -> None:
    _, final = await run(patterns, "failing")
    assert final["runtimeStatus"] == "Failed"
    assert final["output"] == "Orchestrator function 'failing' failed: the orchestrator gave up"


async def test_activity_failure_can_be_caught(patterns: RunningHost) -> None:
    _, final = await run(patterns, "catches_activity_failure")
    assert final["runtimeStatus"] == "Completed"
    assert final["output"]["error"].startswith(
        "Activity function 'always_fails' failed: RuntimeError: boom: input"
    )
    assert final["output"]["recovered"] == "Hello after failure!"


async def test_non_determinism_fails_the_instance(patterns: RunningHost) -> None:
    _, final = await run(patterns, "nondeterministic")
    assert final["runtimeStatus"] == "Failed"
    assert final["output"].startswith(
        "Non-Deterministic workflow detected: A previous execution of this orchestration "
        "scheduled an activity task with sequence number 0 named 'hello', but the current "
        "orchestration replay instead scheduled an activity task named 'double'"
    )


async def test_calling_a_missing_activity_fails_the_instance(patterns: RunningHost) -> None:
    _, final = await run(patterns, "calls_missing_activity")
    assert final["runtimeStatus"] == "Failed"
    assert (
        "The function 'no_such_activity' doesn't exist, is disabled, or is not an activity "
        "function." in final["output"]
    )


async def test_inputs_and_outputs_keep_their_json_types(patterns: RunningHost) -> None:
    for value in ({"a": [1, 2]}, [1, "two"], "text", 5, 2.5, True):
        _, final = await run(patterns, "echo_input", value)
        assert final["output"] == {
            "input": value,
            "echoed": value,
            "same_type": type(value).__name__,
        }, value


async def raise_over_http(
    patterns: RunningHost, started: dict[str, Any], name: str, value: Any
) -> None:
    url = started["sendEventPostUri"].replace("{eventName}", name)
    async with patterns.http.post(url, json=value) as response:
        assert response.status == 202


async def test_an_event_wakes_the_newest_waiter_of_its_name(patterns: RunningHost) -> None:
    started = await start(patterns, "event_loop")
    await patterns.host.run_until_idle()
    await raise_over_http(patterns, started, "x", 1)
    await patterns.host.run_until_idle()
    # Round one's "y" waiter is still open but abandoned; round two's must take the event.
    await raise_over_http(patterns, started, "y", 2)
    await patterns.host.run_until_idle()
    _, final = await status(patterns, started["id"])
    assert (final["runtimeStatus"], final["output"]) == ("Completed", {"seen": [1], "done": 2})


async def test_an_event_that_arrives_before_its_wait_is_kept_for_it(patterns: RunningHost) -> None:
    started = await start(patterns, "late_waiter")
    await patterns.host.run_until_idle()
    await raise_over_http(patterns, started, "go", "early")
    await patterns.host.run_until_idle()
    assert (await status(patterns, started["id"]))[1]["runtimeStatus"] == "Running"
    assert await patterns.host.advance_to_next_timer() is True
    _, final = await status(patterns, started["id"])
    assert (final["runtimeStatus"], final["output"]) == ("Completed", "early")


async def test_sub_orchestration_with_retry(patterns: RunningHost) -> None:
    instance_id, final = await run(patterns, "parent_with_retry")
    assert (final["runtimeStatus"], final["output"]) == ("Completed", "succeeded on attempt 2")
    assert patterns.host.app_module.CALLS["child-key"] == 2
    types = history_types(patterns, instance_id)
    assert types.count("SubOrchestrationInstanceFailed") == 1
    assert types.count("SubOrchestrationInstanceCompleted") == 1
    assert patterns.clock.now() == DEFAULT_START + timedelta(seconds=10)


async def test_a_new_execution_starts_its_history_with_execution_started(
    patterns: RunningHost,
) -> None:
    app = patterns.host.app_module
    app.GATE.clear()
    app.BLOCKED.clear()
    started = await start(patterns, "gated_relay", 0)
    await patterns.host.run_until_idle()
    await raise_over_http(patterns, started, "ev", "first")
    # Raised while the episode that continues as new is still running: it goes to the next.
    assert await asyncio.to_thread(app.BLOCKED.wait, 30)
    await raise_over_http(patterns, started, "ev", "second")
    app.GATE.set()
    await patterns.host.run_until_idle()
    _, final = await status(patterns, started["id"])
    assert final["output"] == {"generation": 1, "event": "second"}
    assert history_types(patterns, started["id"])[0] == "ExecutionStarted"
