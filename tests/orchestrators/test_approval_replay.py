"""The approval race in the migration, replayed by the SDK from built histories: the decision
against the timeout, the losing timer cancelled, long waits made of timers of at most six days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from migration.domain.facts import Inspection, RegionStatus, RegionTarget, VersionFacts
from migration.durable.jobs import APPROVAL_EVENT, MigrationInput
from migration.durable.outcome import Outcome
from orchestrators import migrate
from orchestrators.replication import WatchResult
from tests.migration import factories as f
from tests.orchestrators.histories import (
    CALL_ACTIVITY,
    CALL_SUB,
    CREATE_TIMER,
    WAIT_FOR_EVENT,
    History,
    Reply,
    handle_of,
)

START = datetime(2030, 1, 1, tzinfo=UTC)
HANDLE = handle_of(migrate.migrate)
SOURCE = f.image_id("web")


def job(approval_timeout: str = "P1D") -> dict[str, Any]:
    request = f.parse(
        {
            "gallery": f.GALLERY,
            "images": [{"source": SOURCE}],
            "deleteSource": "afterApproval",
            "approvalTimeout": approval_timeout,
        }
    )
    # The starter's inspection (as an Event Grid start hands it over): no inspect activity.
    inspection = Inspection(gallery=f.gallery(), images={SOURCE.lower(): f.image("web")})
    options = f.options(
        approval_timeout_seconds=request.approval_timeout_or(timedelta(0)).total_seconds()
    )
    return MigrationInput(
        migration_id="mig-1", request=request, options=options, inspection=inspection
    ).to_json()


def answer(history: History, reply: Reply, results: dict[str, Any]) -> Reply:
    """Complete each new activity or sub-orchestration of ``reply`` with ``results[name]``."""
    history.record(reply).episode(timedelta(seconds=1))
    for action in reply.new:
        if action.kind == CALL_ACTIVITY:
            history.completed(action.task_id or 0, results[action.name])
        elif action.kind == CALL_SUB:
            history.sub_completed(action.task_id or 0, results[action.name])
    return history.replay(HANDLE)


def until_approval(history: History) -> Reply:
    version = VersionFacts(
        definition="web",
        name="1.0.0",
        source=SOURCE,
        provisioning_state="Creating",
        target_regions=[RegionTarget(name="eastus", replicas=1)],
    )
    replicated = WatchResult(
        state="completed",
        regions=[RegionStatus(name="eastus", state="Completed", progress=100)],
        at=START,
    )
    results = {
        "ensure_definition": Outcome(ok=True, value="created").to_json(),
        "start_version": Outcome(ok=True, value=version.to_json()).to_json(),
        "watch_replication": {"0": replicated.to_json()},
    }
    reply = history.replay(HANDLE)
    for _ in range(3):  # the definition, the version, the watcher
        reply = answer(history, reply, results)
    return reply


def test_an_approval_that_wins_cancels_the_timer_and_deletes() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    waiting = until_approval(history)
    kinds = {a.kind for a in waiting.new} | {
        a.kind for a in waiting.actions if a.kind == WAIT_FOR_EVENT
    }
    assert kinds >= {CREATE_TIMER, WAIT_FOR_EVENT}
    (timer,) = [a for a in waiting.new if a.kind == CREATE_TIMER]
    assert timer.fire_at == history.now + timedelta(days=1)
    assert waiting.custom_status["phase"] == "awaitingApproval"
    history.record(waiting).episode(timedelta(hours=2))
    history.raised(APPROVAL_EVENT, {"approved": True, "by": "ann", "reason": "checked"})
    decided = history.replay(HANDLE)
    cancelled = [
        a for a in decided.actions if a.kind == CREATE_TIMER and a.task_id == timer.task_id
    ]
    assert cancelled[0].canceled
    (delete,) = [a for a in decided.new if a.kind == CALL_ACTIVITY]
    assert delete.name == "delete_source"
    assert delete.input["source"] == SOURCE
    assert decided.custom_status["approval"]["by"] == "ann"


def test_a_timeout_that_wins_keeps_the_source() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    waiting = until_approval(history)
    (timer,) = [a for a in waiting.new if a.kind == CREATE_TIMER]
    history.record(waiting).timer_fired(timer.task_id or 0)
    done = history.replay(HANDLE)
    assert done.done
    assert not [a for a in done.new if a.kind == CALL_ACTIVITY and a.name == "delete_source"]
    image = done.output["images"][0]
    assert image["phase"] == "kept"
    assert image["keptReason"] == "no approval before the approval timeout"
    assert done.output["approval"]["decision"] == "timedOut"


def test_a_rejection_keeps_the_source_and_says_who() -> None:
    history = History("migrate", job(), START, instance_id="mig-1")
    history.record(until_approval(history)).episode(timedelta(minutes=5))
    history.raised(APPROVAL_EVENT, {"approved": False, "by": "bob", "reason": "not yet"})
    done = history.replay(HANDLE)
    # Nothing is deleted (this job holds no claims, so nothing is released either).
    assert [a.name for a in done.new if a.kind == CALL_ACTIVITY] == []
    assert done.done
    assert done.output["images"][0]["keptReason"] == "rejected by bob: not yet"


def test_a_long_wait_is_a_chain_of_timers_of_at_most_six_days() -> None:
    history = History("migrate", job("P10D"), START, instance_id="mig-1")
    waiting = until_approval(history)
    asked = history.now
    (first,) = [a for a in waiting.new if a.kind == CREATE_TIMER]
    assert first.fire_at == asked + timedelta(days=6)
    history.record(waiting).timer_fired(first.task_id or 0)
    again = history.replay(HANDLE)
    (second,) = [a for a in again.new if a.kind == CREATE_TIMER]
    assert second.fire_at == asked + timedelta(days=10)
    assert again.custom_status["phase"] == "awaitingApproval"
