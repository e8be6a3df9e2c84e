"""The replication watcher, replayed by the SDK from built histories: its schedule, its results,
event hints (a read now, coalesced, ignored when they do not apply, the SDK's repeated hints),
trusted hints, and continuing as new so that its history stays short."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from migration.domain.facts import RegionStatus, RegionTarget, VersionFacts
from migration.domain.hints import HintEvidence
from migration.domain.ids import resource_key, version_id
from migration.domain.polling import PollLimits, next_read_seconds, observe
from migration.durable.jobs import HINT_EVENT
from migration.durable.outcome import Outcome
from orchestrators import replication
from orchestrators.replication import WatchedVersion, WatchInput
from tests.migration import factories as f
from tests.orchestrators.histories import (
    CALL_ACTIVITY,
    CALL_ENTITY,
    CONTINUE_AS_NEW,
    CREATE_TIMER,
    SIGNAL_ENTITY,
    Action,
    History,
    Reply,
    handle_of,
)

START = datetime(2030, 1, 1, tzinfo=UTC)
HANDLE = handle_of(replication.watch_replication)
SOURCE = f.image_id("web")
VERSION = version_id(f.GALLERY, "web", "1.0.0")
KEY = resource_key(VERSION)
FLOOR, CEILING = 60, 900


def watch(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "gallery": f.GALLERY,
        "versions": [WatchedVersion(index=0, source=SOURCE, definition="web", version="1.0.0")],
        "deadline": START + timedelta(hours=6),
        "poll_min_seconds": FLOOR,
        "poll_max_seconds": CEILING,
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


DONE = read(100, "Completed", "Succeeded")
TRUSTED = HintEvidence(heard_at=START, heard=3, delay_seconds=2.0).to_json()


def answer_trust(history: History, reply: Reply, evidence: Any = None) -> Reply:
    """Answer the watcher's question to the hints' evidence, if it asks one: before a wait that
    trust would change (a read due sooner than the ceiling), at most every 15 minutes."""
    asked = [a for a in reply.new if a.kind == CALL_ENTITY]
    if not asked:
        return reply
    (ask,) = asked
    assert (operation(ask), entity(ask)) == ("get", f"@version_hints@{f.SUB}")
    history.record(reply).episode().entity_answered(ask.task_id or 0, evidence or {})
    return history.replay(HANDLE)


def start(history: History) -> Reply:
    """The first episode: the version announced, and read."""
    return history.replay(HANDLE)


def poll(
    history: History, reply: Reply, result: Any, hint: Any = None, evidence: Any = None
) -> Reply:
    """Answer the round's read with ``result`` (a hint raised meanwhile, if given), then the
    question to the hints' evidence if one follows (with ``evidence``: untrusted by default)."""
    (call,) = [a for a in reply.new if a.kind == CALL_ACTIVITY]
    assert call.name == "get_versions"
    history.record(reply).episode(timedelta(seconds=1))
    if hint is not None:
        history.raised(HINT_EVENT, hint)
    history.completed(call.task_id or 0, result)
    return answer_trust(history, history.replay(HANDLE), evidence)


def timer(reply: Reply) -> Action:
    (created,) = [a for a in reply.new if a.kind == CREATE_TIMER]
    return created


def fire(history: History, reply: Reply) -> Reply:
    history.record(reply).timer_fired(timer(reply).task_id or 0)
    return history.replay(HANDLE)


def hint(history: History, reply: Reply, after: timedelta, payload: Any) -> Reply:
    history.record(reply).episode(after).raised(HINT_EVENT, payload)
    return history.replay(HANDLE)


def written(nonce: str = "n1", version: str = KEY, at: datetime | None = None) -> dict[str, Any]:
    """A hint as on_version_written raises it (``at``: the write's eventTime, if known)."""
    hint = {"version": version, "nonce": nonce, "eventType": "ResourceWriteSuccess"}
    if at is not None:
        hint["eventTime"] = at.isoformat()
    return hint


def operation(action: Action) -> str:
    return str(action.raw.get("operation"))


def entity(action: Action) -> str:
    """``@name@key`` of the entity a call or signal goes to."""
    return str(action.raw.get("instanceId"))


def signals(reply: Reply, name: str) -> list[Action]:
    return [a for a in reply.new if a.kind == SIGNAL_ENTITY and operation(a) == name]


def test_the_version_is_announced_the_schedule_follows_progress_and_the_result_is_read() -> None:
    history = History("watch_replication", watch(), START, instance_id="watch-b")
    first = history.replay(HANDLE)
    (announced,) = signals(first, "watch")
    assert entity(announced) == f"@version_watch@{KEY}"
    assert announced.input == {"watcher": "watch-b"}
    after_first = poll(history, start(history), read(20))
    # One look tells no pace: the floor, from the round's start.
    assert timer(after_first).fire_at == START + timedelta(seconds=FLOOR)
    after_second = poll(history, fire(history, after_first), read(60))
    at = START + timedelta(seconds=FLOOR)
    track = observe(observe(None, {"eastus": 20}, START), {"eastus": 60}, at)
    expected = next_read_seconds(track, at, PollLimits(FLOOR, CEILING))
    assert timer(after_second).fire_at == at + timedelta(seconds=expected)
    done = poll(history, fire(history, after_second), DONE)
    assert done.done
    assert done.output["0"]["state"] == "completed"
    assert done.custom_status["images"] == {"completed": 1}
    # Done with the version: its watch entity forgets this watcher.
    (released,) = signals(done, "unwatch")
    assert (entity(released), released.input) == (f"@version_watch@{KEY}", {"watcher": "watch-b"})


def slow(history: History) -> Reply:
    """A version read a few times at 1 % a minute, until its next read is minutes away."""
    reply, progress = poll(history, start(history), read(20)), 20
    while timer(reply).fire_at - history.now < timedelta(minutes=3):
        progress += 1
        reply = poll(history, fire(history, reply), read(progress))
    return reply


def test_a_hint_makes_the_watcher_read_the_version_at_once() -> None:
    history = History("watch_replication", watch(), START)
    reply = slow(history)
    woken = hint(history, reply, timedelta(minutes=2), written())
    # The hint reached its watcher, promptly: evidence that hints work.
    (heard,) = signals(woken, "heard")
    assert entity(heard) == f"@version_hints@{f.SUB}"
    (call,) = [a for a in woken.new if a.kind == CALL_ACTIVITY]
    assert call.name == "get_versions"
    # The losing timer is cancelled, so the host does not keep the instance waiting for it.
    assert [a.canceled for a in woken.actions if a.kind == CREATE_TIMER][-1]
    done = poll(history, woken, DONE)
    assert done.output["0"]["state"] == "completed"
    assert not signals(done, "missed")


def test_duplicate_and_late_hints_cost_at_most_one_read_per_floor() -> None:
    history = History("watch_replication", watch(), START)
    reply = slow(history)
    write = history.now + timedelta(minutes=1)
    reply = poll(
        history, hint(history, reply, timedelta(minutes=2), written("n1", at=write)), read(31)
    )
    planned = timer(reply).fire_at
    # A copy of the same event ten seconds later: the read it prompted has seen that write.
    copy = hint(history, reply, timedelta(seconds=10), written("n2", at=write))
    assert not [a for a in copy.new if a.kind == CALL_ACTIVITY]
    assert timer(copy).fire_at == planned
    # Another write's hint (no time given) ten seconds on: read, but a floor after the last one.
    other = hint(history, copy, timedelta(seconds=10), written("n3"))
    assert not [a for a in other.new if a.kind == CALL_ACTIVITY]
    prompted = history.now - timedelta(seconds=20)
    assert timer(other).fire_at == prompted - timedelta(seconds=1) + timedelta(seconds=FLOOR)


def test_hints_that_do_not_apply_are_ignored() -> None:
    history = History("watch_replication", watch(), START)
    reply = poll(history, start(history), read(20))
    waiting_until = timer(reply).fire_at
    for payload in (written(version="someone-elses"), {"not": "a hint"}, "garbage"):
        reply = hint(history, reply, timedelta(seconds=5), payload)
        assert not [a for a in reply.new if a.kind == CALL_ACTIVITY]
        assert timer(reply).fire_at == waiting_until


def test_a_hint_the_sdk_hands_back_again_makes_the_watcher_continue_as_new() -> None:
    # A hint raised while the watcher reads (no wait open) is kept by the Python SDK and handed
    # to every later wait of that name (azure-functions-durable-python#507). This one reports a
    # write before the read, so the read has seen it: no read again, just the restart.
    history = History("watch_replication", watch(), START)
    early = START - timedelta(seconds=30)
    reply = poll(history, start(history), read(20), hint=written("n1", at=early))
    (restart,) = [a for a in reply.new if a.kind == CONTINUE_AS_NEW]
    carried = WatchInput.from_json(restart.input)
    assert carried.hints.hinted == ["0"]
    assert carried.hints.announced


def test_trusted_hints_leave_polling_a_safety_net_and_a_miss_ends_the_trust() -> None:
    history = History("watch_replication", watch(), START)
    reply = poll(history, start(history), read(20), evidence=TRUSTED)
    assert timer(reply).fire_at == START + timedelta(seconds=CEILING)
    done = poll(history, fire(history, reply), DONE, evidence=TRUSTED)
    assert done.output["0"]["state"] == "completed"
    # It completed with no hint for it while hints were trusted: the evidence hears of it.
    (miss,) = signals(done, "missed")
    assert entity(miss) == f"@version_hints@{f.SUB}"


def test_a_hint_a_read_does_not_bear_out_puts_the_version_back_on_its_schedule() -> None:
    history = History("watch_replication", watch(), START)
    reply = poll(history, start(history), read(20), evidence=TRUSTED)
    reply = poll(history, hint(history, reply, timedelta(minutes=5), written()), read(35))
    now = history.now - timedelta(seconds=1)
    assert timer(reply).fire_at - now < timedelta(seconds=CEILING)


def test_it_continues_as_new_after_a_bounded_number_of_rounds() -> None:
    history = History("watch_replication", watch(), START)
    reply = start(history)
    for _ in range(replication.ROUNDS_PER_EXECUTION):
        reply = poll(history, reply, read(10))
        if not [a for a in reply.new if a.kind == CREATE_TIMER]:
            break
        reply = fire(history, reply)
    (restart,) = [a for a in reply.new if a.kind == CONTINUE_AS_NEW]
    carried = WatchInput.from_json(restart.input)
    assert carried.rounds == replication.ROUNDS_PER_EXECUTION
    assert carried.due["0"] > START
    assert carried.tracks["0"].regions["eastus"].progress == 10
    # The next execution announces nothing again.
    again = History("watch_replication", restart.input, history.now).replay(HANDLE)
    assert not signals(again, "watch")


def test_past_the_deadline_every_version_gets_a_last_look_then_times_out() -> None:
    history = History("watch_replication", watch(deadline=START), START)
    done = poll(history, start(history), read(50))
    assert done.done
    assert done.output["0"]["state"] == "timedOut"


def test_a_failed_region_ends_the_watch_for_that_version() -> None:
    history = History("watch_replication", watch(), START)
    done = poll(history, start(history), read(40, "Failed", "Failed"))
    assert done.done
    assert done.output["0"]["state"] == "failed"
    assert json.dumps(done.output)


def test_with_the_migrations_budget_each_rounds_reads_are_reserved_first() -> None:
    budget = {"reads": {"capacity": 250, "refillPerSecond": 25}}
    history = History("watch_replication", watch(budget=budget), START, instance_id="watch-b")
    first = history.replay(HANDLE)
    asks = [(a.kind, operation(a), entity(a)) for a in first.new if a.kind != SIGNAL_ENTITY]
    assert asks == [(CALL_ENTITY, "reserve", f"@arm_budget@{f.SUB}|app|reads")]
