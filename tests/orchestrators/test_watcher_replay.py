"""The replication watcher, replayed by the SDK from built histories: its schedule, its results,
and continuing as new so that its history stays short."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from migration.domain.facts import RegionStatus, RegionTarget, VersionFacts
from migration.durable.outcome import Outcome
from orchestrators import replication
from orchestrators.replication import WatchedVersion, WatchInput
from tests.migration import factories as f
from tests.orchestrators.histories import (
    CALL_ACTIVITY,
    CONTINUE_AS_NEW,
    CREATE_TIMER,
    History,
    Reply,
    handle_of,
)

START = datetime(2030, 1, 1, tzinfo=UTC)
HANDLE = handle_of(replication.watch_replication)
SOURCE = f.image_id("web")


def watch(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "gallery": f.GALLERY,
        "versions": [WatchedVersion(index=0, source=SOURCE, definition="web", version="1.0.0")],
        "deadline": START + timedelta(hours=6),
        "poll_min_seconds": 60,
        "poll_max_seconds": 900,
    }
    values.update(overrides)
    return WatchInput(**values).to_json()


def read(progress: int, state: str = "Replicating", provisioning: str = "Creating") -> Any:
    version = VersionFacts(
        definition="web",
        name="1.0.0",
        source=SOURCE,
        provisioning_state=provisioning,
        target_regions=[RegionTarget(name="eastus", replicas=1)],
        regions=[RegionStatus(name="eastus", state=state, progress=progress)],
    )
    batch = [Outcome(ok=True, value=version.to_json()).to_json()]
    return Outcome(ok=True, value=batch).to_json()


def poll(history: History, reply: Reply, result: Any) -> Reply:
    """Answer the round's read with ``result``; return the reply that follows."""
    (call,) = reply.new
    assert (call.kind, call.name) == (CALL_ACTIVITY, "get_versions")
    history.record(reply).episode(timedelta(seconds=1)).completed(call.task_id or 0, result)
    return history.replay(HANDLE)


def test_the_next_look_follows_the_progress_and_the_result_is_the_last_read() -> None:
    history = History("watch_replication", watch(), START)
    after_first = poll(history, history.replay(HANDLE), read(20))
    (timer,) = after_first.new
    # One look tells no rate: the floor, from the round's start.
    assert timer.kind == CREATE_TIMER
    assert timer.fire_at == START + timedelta(seconds=60)
    history.record(after_first).timer_fired(timer.task_id or 0)
    after_second = poll(history, history.replay(HANDLE), read(60))
    (timer,) = after_second.new
    # 40 points in 60 s, 40 to go: a minute more.
    assert timer.fire_at == START + timedelta(seconds=120)
    history.record(after_second).timer_fired(timer.task_id or 0)
    done = poll(history, history.replay(HANDLE), read(100, "Completed", "Succeeded"))
    assert done.done
    assert done.output["0"]["state"] == "completed"
    assert done.custom_status["images"][0]["state"] == "completed"


def test_a_failed_region_ends_the_watch_for_that_version() -> None:
    history = History("watch_replication", watch(), START)
    done = poll(history, history.replay(HANDLE), read(40, "Failed", "Failed"))
    assert done.done
    assert done.output["0"]["state"] == "failed"


def test_it_continues_as_new_after_a_bounded_number_of_rounds() -> None:
    history = History("watch_replication", watch(), START)
    reply = history.replay(HANDLE)
    for _ in range(replication.ROUNDS_PER_EXECUTION):
        reply = poll(history, reply, read(10))
        timers = [a for a in reply.new if a.kind == CREATE_TIMER]
        if not timers:
            break
        history.record(reply).timer_fired(timers[0].task_id or 0)
        reply = history.replay(HANDLE)
    (restart,) = reply.new
    assert restart.kind == CONTINUE_AS_NEW
    carried = WatchInput.from_json(restart.input)
    assert carried.rounds == replication.ROUNDS_PER_EXECUTION
    assert carried.due["0"] > START


def test_past_the_deadline_every_version_gets_a_last_look_then_times_out() -> None:
    history = History("watch_replication", watch(deadline=START), START)
    done = poll(history, history.replay(HANDLE), read(50))
    assert done.done
    assert done.output["0"]["state"] == "timedOut"
