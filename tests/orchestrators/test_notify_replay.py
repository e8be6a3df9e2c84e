"""The ``notify`` orchestration replayed by the SDK from built histories: a destination that
fails is tried again on durable timers, one that takes the notice is not; ``tried`` skips the
tries made before it started (the outcome's first); a stop ends the waiting at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from activities import names
from migration.notify.schedule import STOP_EVENT
from migration.notify.sending import RETRY_DELAYS_SECONDS, Deliveries, Delivery
from orchestrators import notify
from tests.orchestrators.histories import CALL_ACTIVITY, CREATE_TIMER, History, Reply, handle_of

START = datetime(2030, 1, 1, tzinfo=UTC)
HANDLE = handle_of(notify.notify)


def work(tried: int = 0) -> dict[str, Any]:
    return {
        "notice": {"kind": "migrationFinished"},
        "destinations": ["teams:1", "slack:1"],
        "tried": tried,
    }


def answered(*failing: str) -> Any:
    results = [
        Delivery(
            key=k,
            label=k,
            ok=k not in failing,
            retry=k in failing,
            error="HTTP 500" if k in failing else None,
        )
        for k in ("teams:1", "slack:1")
    ]
    return Deliveries(results=results).to_json()


def activity(reply: Reply) -> Any:
    (call,) = [a for a in reply.new if a.kind == CALL_ACTIVITY]
    assert call.name == names.SEND_NOTIFICATION
    return call


def timer(reply: Reply) -> Any:
    (made,) = [a for a in reply.new if a.kind == CREATE_TIMER]
    return made


def test_a_failing_destination_alone_is_tried_again_after_a_minute() -> None:
    history = History("notify", work(), START, instance_id="notify-mig-1-outcome")
    first = history.replay(HANDLE)
    assert activity(first).input["destinations"] == ["teams:1", "slack:1"]
    history.record(first).completed(activity(first).task_id, answered("slack:1")).episode()
    waiting = history.replay(HANDLE)
    assert not waiting.done
    assert timer(waiting).fire_at == START + timedelta(seconds=RETRY_DELAYS_SECONDS[0])
    history.record(waiting).timer_fired(timer(waiting).task_id)
    again = history.replay(HANDLE)
    assert activity(again).input["destinations"] == ["slack:1"]
    history.record(again).completed(activity(again).task_id, answered()).episode()
    done = history.replay(HANDLE)
    assert done.done
    assert all(r["ok"] for r in done.output["results"])


def test_tried_once_before_it_waits_first() -> None:
    history = History("notify", work(tried=1), START, instance_id="notify-mig-1-outcome")
    first = history.replay(HANDLE)
    assert [a for a in first.new if a.kind == CALL_ACTIVITY] == []
    assert timer(first).fire_at == START + timedelta(seconds=RETRY_DELAYS_SECONDS[0])


def test_a_stop_ends_the_wait_and_the_tries() -> None:
    history = History("notify", work(), START, instance_id="notify-mig-1-r0000")
    first = history.replay(HANDLE)
    history.record(first).completed(activity(first).task_id, answered("slack:1")).episode()
    waiting = history.replay(HANDLE)
    history.record(waiting).episode(timedelta(seconds=10)).raised(STOP_EVENT, None)
    stopped = history.replay(HANDLE)
    assert stopped.done
    assert [a for a in stopped.new if a.kind == CALL_ACTIVITY] == []
    slack = next(r for r in stopped.output["results"] if r["key"] == "slack:1")
    assert slack["ok"] is False
