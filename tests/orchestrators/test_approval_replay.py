"""The fleet's one approval, replayed by the SDK from built histories: decisions on named
images and on the rest, the timeout, long waits as chains of six-day timers, every wait
racing a fresh timer (``orchestrators.timers.wait_any``), and the races: two decisions in one
episode, and a decision in the episode the deadline's timer fires in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from migration.domain.state import BatchReport
from migration.durable.jobs import APPROVAL_EVENT, BATCH_REPORT_EVENT, MigrationInput, batch_id
from orchestrators import migrate
from tests.migration import factories as f
from tests.orchestrators.histories import (
    CALL_ACTIVITY,
    CALL_ENTITY,
    CALL_SUB,
    CREATE_TIMER,
    SIGNAL_ENTITY,
    WHEN_ANY,
    Action,
    History,
    Reply,
    handle_of,
)

START = datetime(2030, 1, 1, tzinfo=UTC)
HANDLE = handle_of(migrate.migrate)
WEB, APP = f.image_id("web"), f.image_id("app")
BATCH = batch_id("mig-1", 0)


def job(approval_timeout: str = "P1D") -> dict[str, Any]:
    request = f.parse(
        {
            "gallery": f.GALLERY,
            "images": [{"source": WEB}, {"source": APP}],
            "deleteSource": "afterApproval",
            "approvalTimeout": approval_timeout,
        }
    )
    options = f.options(
        approval_timeout_seconds=request.approval_timeout_or(timedelta(0)).total_seconds()
    )
    return MigrationInput(migration_id="mig-1", request=request, options=options).to_json()


def only(reply: Reply, kind: int) -> Action:
    (action,) = [a for a in reply.new if a.kind == kind]
    return action


def assert_every_wait_races_a_timer(reply: Reply) -> None:
    """The host's shim awaits a WhenAny of only the tasks new to it: each must hold a timer."""
    for group in reply.state.get("actions") or []:
        for raw in group:
            if raw["actionType"] == WHEN_ANY:
                kinds = [child["actionType"] for child in raw["compoundActions"]]
                assert CREATE_TIMER in kinds, raw


def step(history: History, reply: Reply, after: timedelta = timedelta(seconds=1)) -> History:
    assert_every_wait_races_a_timer(reply)
    return history.record(reply).episode(after)


def report(stage: str, replicated: list[str]) -> dict[str, Any]:
    summary = {"replicated": len(replicated)} if stage == "replicated" else {"replicating": 2}
    return BatchReport(batch=0, stage=stage, summary=summary, replicated=replicated).to_json()


def until_approval(history: History) -> Reply:
    first = history.replay(HANDLE)
    ask = only(first, CALL_ENTITY)
    assert ask.raw["operation"] == "acquire"
    step(history, first).entity_answered(ask.task_id or 0, {"granted": True})
    started = history.replay(HANDLE)
    sub = only(started, CALL_SUB)
    assert (sub.name, sub.raw["instanceId"]) == ("migrate_batch", BATCH)
    step(history, started).raised(BATCH_REPORT_EVENT, report("prepared", []))
    prepared = history.replay(HANDLE)
    step(history, prepared, timedelta(hours=2)).raised(
        BATCH_REPORT_EVENT, report("replicated", [WEB, APP])
    )
    waiting = history.replay(HANDLE)
    release = only(waiting, SIGNAL_ENTITY)
    assert release.raw["operation"] == "release"
    assert waiting.custom_status["phase"] == "awaitingApproval"
    assert waiting.custom_status["approval"]["undecided"] == 2
    return waiting


def sent(reply: Reply) -> list[dict[str, Any]]:
    send = only(reply, CALL_ACTIVITY)
    assert send.name == "send_events"
    events: list[dict[str, Any]] = send.input
    return events


def finish(history: History, reply: Reply, sends: list[Action]) -> Reply:
    step(history, reply)
    for action in sends:
        history.completed(action.task_id or 0, {"ok": True, "value": 1})
    ending = history.replay(HANDLE)
    step(history, ending).sub_completed(
        0 if not ending.actions else _sub_id(ending), {"summary": {"deleted": 1, "kept": 1}}
    )
    return history.replay(HANDLE)


def _sub_id(reply: Reply) -> int:
    (sub,) = [a for a in reply.actions if a.kind == CALL_SUB]
    return sub.task_id or 0


def test_a_decision_on_named_images_then_one_on_the_rest() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    waiting = until_approval(history)
    step(history, waiting, timedelta(hours=1)).raised(
        APPROVAL_EVENT, {"approved": True, "by": "ann", "reason": "checked", "images": [WEB]}
    )
    first = history.replay(HANDLE)
    (event,) = sent(first)
    assert (event["instance"], event["name"]) == (BATCH, "Decision-0")
    assert (event["payload"]["approved"], event["payload"]["by"]) == ([WEB], "ann")
    approval = first.custom_status["approval"]
    assert (approval["approved"], approval["undecided"]) == (1, 1)
    assert first.custom_status["phase"] == "awaitingApproval"
    send_first = only(first, CALL_ACTIVITY)

    step(history, first).raised(APPROVAL_EVENT, {"approved": False, "by": "bob", "reason": "no"})
    second = history.replay(HANDLE)
    (event,) = sent(second)
    assert (event["name"], event["payload"]["rejected"]) == ("Decision-1", [APP])
    assert second.custom_status["phase"] == "deleting"
    done = finish(history, second, [send_first, only(second, CALL_ACTIVITY)])
    assert done.done
    decisions = done.output["approval"]["decisions"]
    assert [(d["decision"], d["by"], d["images"]) for d in decisions] == [
        ("approved", "ann", 1),
        ("rejected", "bob", 1),
    ]
    assert done.output["summary"] == {"deleted": 1, "kept": 1}


def test_the_timeout_hands_every_undecided_image_on_as_timed_out() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    waiting = until_approval(history)
    timer = only(waiting, CREATE_TIMER)
    assert timer.fire_at == history.now + timedelta(days=1)
    history.record(waiting).timer_fired(timer.task_id or 0)
    timed_out = history.replay(HANDLE)
    (event,) = sent(timed_out)
    assert event["payload"]["timedOut"] == [WEB, APP]
    assert timed_out.custom_status["approval"]["timedOut"] == 2
    done = finish(history, timed_out, [only(timed_out, CALL_ACTIVITY)])
    assert done.done


def test_a_long_wait_is_a_chain_of_timers_of_at_most_six_days() -> None:
    history = History("migrate", job("P10D"), START, instance_id="mig-1")
    waiting = until_approval(history)
    asked = history.now
    first = only(waiting, CREATE_TIMER)
    assert first.fire_at == asked + timedelta(days=6)
    history.record(waiting).timer_fired(first.task_id or 0)
    again = history.replay(HANDLE)
    second = only(again, CREATE_TIMER)
    assert second.fire_at == asked + timedelta(days=10)
    assert again.custom_status["phase"] == "awaitingApproval"
    assert_every_wait_races_a_timer(again)


def approvals(reply: Reply) -> list[str]:
    """Every source the reply hands a batch as approved (the only ones a batch deletes)."""
    return [s for event in sent(reply) for s in event["payload"]["approved"]]


def test_of_two_decisions_in_one_episode_the_first_decides_and_the_second_is_not_read() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    waiting = until_approval(history)
    step(history, waiting, timedelta(hours=1)).raised(
        APPROVAL_EVENT, {"approved": True, "by": "ann", "reason": "checked"}
    ).raised(APPROVAL_EVENT, {"approved": False, "by": "bob", "reason": "no"})
    # Ann's decision leaves nothing undecided, so the wait ends and Bob's event finds no
    # waiter: the SDK keeps it unread (and says so), and nothing reads it again.
    with pytest.warns(UserWarning, match="duplicate Task completion for TaskId: Approval"):
        both = history.replay(HANDLE)
    (event,) = sent(both)
    assert (event["name"], event["payload"]["by"]) == ("Decision-0", "ann")
    assert (approvals(both), event["payload"]["rejected"]) == ([WEB, APP], [])
    approval = both.custom_status["approval"]
    assert (approval["approved"], approval["rejected"], approval["undecided"]) == (2, 0, 0)
    assert both.custom_status["phase"] == "deleting"
    with pytest.warns(UserWarning, match="TaskId: Approval"):  # each replay reads it again
        done = finish(history, both, [only(both, CALL_ACTIVITY)])
    assert done.done
    decisions = done.output["approval"]["decisions"]
    assert [(d["decision"], d["by"], d["images"]) for d in decisions] == [("approved", "ann", 2)]


def test_of_two_decisions_on_one_image_in_one_episode_the_second_decides_nothing() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    waiting = until_approval(history)
    step(history, waiting, timedelta(hours=1)).raised(
        APPROVAL_EVENT, {"approved": True, "by": "ann", "reason": "ok", "images": [WEB]}
    ).raised(APPROVAL_EVENT, {"approved": False, "by": "bob", "reason": "no", "images": [WEB]})
    both = history.replay(HANDLE)
    # One hand-on (Ann's); Bob's is read in the same episode, decides nothing and is recorded,
    # so that he is told.
    (event,) = sent(both)
    assert (event["payload"]["by"], approvals(both), event["payload"]["rejected"]) == (
        "ann",
        [WEB],
        [],
    )
    approval = both.custom_status["approval"]
    assert (approval["approved"], approval["rejected"], approval["undecided"]) == (1, 0, 1)
    recorded = [(d["decision"], d["by"], d["images"]) for d in approval["decisions"]]
    assert recorded == [("approved", "ann", 1), ("rejected", "bob", 0)]
    assert both.custom_status["phase"] == "awaitingApproval"


def test_a_decision_read_in_the_episode_of_the_deadline_decides_nothing() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    waiting = until_approval(history)
    deadline = only(waiting, CREATE_TIMER)
    # Sent just before the deadline, the approval reaches the orchestration in the episode the
    # deadline's timer fires in, ahead of the timer: the episode's time is the deadline's.
    history.record(waiting).episode(deadline.fire_at - history.now).raised(
        APPROVAL_EVENT, {"approved": True, "by": "ann", "reason": "late"}
    ).timer_fired(deadline.task_id or 0, new_episode=False)
    late = history.replay(HANDLE)
    (event,) = sent(late)
    assert (approvals(late), event["payload"]["timedOut"]) == ([], [WEB, APP])
    approval = late.custom_status["approval"]
    assert (approval["approved"], approval["timedOut"]) == (0, 2)
    (recorded,) = approval["decisions"]
    assert (recorded["by"], recorded["images"], recorded["at"]) == (
        "ann",
        0,
        approval["deadline"],
    )
    assert late.custom_status["phase"] == "deleting"
    done = finish(history, late, [only(late, CALL_ACTIVITY)])
    assert done.done


def test_a_decision_after_the_deadline_timer_in_its_episode_is_not_read() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    waiting = until_approval(history)
    deadline = only(waiting, CREATE_TIMER)
    history.record(waiting).timer_fired(deadline.task_id or 0).raised(
        APPROVAL_EVENT, {"approved": True, "by": "ann", "reason": "late"}
    )
    late = history.replay(HANDLE)
    (event,) = sent(late)
    assert (approvals(late), event["payload"]["timedOut"]) == ([], [WEB, APP])
    approval = late.custom_status["approval"]
    assert (approval["approved"], approval["timedOut"], approval["decisions"]) == (0, 2, [])
    done = finish(history, late, [only(late, CALL_ACTIVITY)])
    assert done.done
    assert done.output["approval"]["decisions"] == []
