"""What the status and list endpoints show at each stage of a migration, through the read model."""

from __future__ import annotations

import json
from typing import Any

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.state import (
    MAX_PROBLEMS,
    BatchSummary,
    ImagePhase,
    ImageState,
    MigrationState,
    Phase,
)
from migration.durable.jobs import MigrationInput
from migration.durable.status import RegionProgress, ReplicationProgress, read_state
from tests.migration.factories import GALLERY, image_id, options, parse
from triggers.views import Fleet, migration_view, summary_view

SOURCE = image_id("web")
JOB = MigrationInput(
    migration_id="mig-1",
    request=parse({"gallery": GALLERY, "images": [{"source": SOURCE}], "deleteSource": "never"}),
    options=options(),
).to_json()
BASE = {"migrationId": "mig-1", "gallery": GALLERY, "deleteSource": "afterApproval"}


def status(**fields: Any) -> DurableOrchestrationStatus:
    values: dict[str, Any] = {
        "name": "migrate",
        "instanceId": "mig-1",
        "createdTime": "2026-01-05T09:00:00Z",
        "lastUpdatedTime": "2026-01-05T09:00:00Z",
        "runtimeStatus": "Running",
    }
    values.update(fields)
    return DurableOrchestrationStatus.from_json(values)


def view_of(
    durable: DurableOrchestrationStatus,
    fleet: Fleet | None = None,
    first: list[ImageState] | None = None,
) -> dict[str, Any]:
    state = read_state(durable)
    assert isinstance(state, MigrationState)
    return migration_view(durable, state, fleet or Fleet(), first or [], {"statusUri": "u"})


def batch(index: int, **summary: int) -> BatchSummary:
    return BatchSummary(migration_id="mig-1", batch=index, summary=summary)


def test_before_the_first_episode_the_input_speaks() -> None:
    # The extension shows a client-started instance's input as a JSON string.
    view = view_of(status(runtimeStatus="Pending", input=json.dumps(JOB)))
    assert (view["phase"], view["deleteSource"], view["imageCount"]) == ("inspecting", "never", 1)
    assert (view["images"], view["summary"], view["outcome"]) == ([], {}, None)


def test_counts_come_from_the_batches_and_regions_from_every_watcher() -> None:
    custom = BASE | {"phase": "replicating", "images": 45, "batches": 3}
    fleet = Fleet(
        batches=[batch(0, replicating=20), batch(1, replicating=15, failed=5), batch(2)],
        instances=["b0", "b1", "b2"],
        watchers=[
            ReplicationProgress(
                regions=[
                    RegionProgress(name="eastus", completed=5, replicating=15, progress_total=600)
                ]
            ),
            ReplicationProgress(
                regions=[
                    RegionProgress(name="eastus", replicating=5, progress_total=100),
                    RegionProgress(name="westus", failed=1),
                ]
            ),
        ],
    )
    first = [ImageState(index=0, source=SOURCE, phase=ImagePhase.REPLICATING)]
    view = view_of(status(customStatus=custom), fleet, first)
    assert view["summary"] == {"replicating": 35, "failed": 5}
    assert view["imageCount"] == 45
    assert view["regions"] == [
        {"name": "eastus", "completed": 5, "replicating": 20, "failed": 0, "progress": 48},
        {"name": "westus", "completed": 0, "replicating": 0, "failed": 1, "progress": 100},
    ]
    assert [i["source"] for i in view["images"]] == [SOURCE]
    assert (view["awaitingApproval"], view["links"]) == (False, {"statusUri": "u"})


def test_problems_of_the_migration_and_its_batches_show_once_with_the_count_of_the_rest() -> None:
    state = MigrationState.from_json(BASE | {"phase": "replicating"})
    for n in range(12):
        state.problem(f"scope {n} could not be listed")
    state.problem("scope 0 could not be listed")  # said once
    one = batch(0)
    one.problem("gallery busy")
    two = batch(1)
    two.problem("gallery busy")
    view = view_of(
        status(customStatus=state.to_json()), Fleet(batches=[one, two], instances=["a", "b"])
    )
    assert view["problems"][-1] == "gallery busy"
    assert len(view["problems"]) == MAX_PROBLEMS + 1
    assert view["moreProblems"] == 12 - MAX_PROBLEMS


def test_awaiting_approval_while_images_are_undecided() -> None:
    custom = BASE | {
        "phase": "awaitingApproval",
        "approval": {"required": True, "undecided": 3},
    }
    assert view_of(status(customStatus=custom))["awaitingApproval"] is True
    custom["approval"] = {"required": True, "undecided": 0, "approved": 3}
    assert view_of(status(customStatus=custom))["awaitingApproval"] is False
    custom["approval"] = {"required": True, "undecided": 3}
    assert (
        view_of(status(customStatus=custom, runtimeStatus="Completed"))["awaitingApproval"] is False
    )


def test_completed_shows_the_result_failed_and_terminated_say_why() -> None:
    done_state = BASE | {"phase": "done", "summary": {"deleted": 1}}
    done = view_of(status(runtimeStatus="Completed", customStatus=done_state))
    assert (done["phase"], done["summary"], done["error"]) == ("done", {"deleted": 1}, None)
    failed = view_of(
        status(
            runtimeStatus="Failed",
            output="Orchestrator function 'migrate' failed: boom",
            input=json.dumps(JOB),
        )
    )
    assert failed["error"] == "Orchestrator function 'migrate' failed: boom"
    assert failed["phase"] is None
    ended = view_of(status(runtimeStatus="Terminated", output="cancelled", input=json.dumps(JOB)))
    assert ended["error"] == "terminated: cancelled"


def test_a_status_that_is_not_a_migrations_falls_back_to_the_input() -> None:
    view = view_of(status(customStatus={"something": "else"}, input=json.dumps(JOB)))
    assert view["phase"] == "inspecting"


def test_the_list_shows_counts_and_survives_an_instance_with_no_state() -> None:
    custom = BASE | {"phase": "replicating", "images": 1, "summary": {"failed": 1}}
    item = summary_view(status(customStatus=custom), read_state(status(customStatus=custom)), {})
    assert (item["images"], item["summary"], item["phase"]) == (1, {"failed": 1}, "replicating")
    pending = summary_view(status(runtimeStatus="Pending"), None, {})
    assert (pending["phase"], pending["images"]) == (None, 0)


def test_a_finished_migration_says_how_many_images_it_migrated() -> None:
    def done(**summary: int) -> str | None:
        fleet = Fleet(batches=[batch(0, **summary)], instances=["b"])
        custom = BASE | {"phase": Phase.DONE.value}
        outcome: str | None = view_of(
            status(runtimeStatus="Completed", customStatus=custom), fleet
        )["outcome"]
        return outcome

    assert done(deleted=1, kept=1) == "allMigrated"
    assert done(deleted=1, blocked=1) == "partlyMigrated"
    assert done(blocked=1, failed=1) == "noneMigrated"
    running = BASE | {"phase": "replicating"}
    assert (
        view_of(status(customStatus=running), Fleet(batches=[batch(0, failed=1)]))["outcome"]
        is None
    )
    failed = view_of(status(runtimeStatus="Failed", output="boom", input=json.dumps(JOB)))
    assert failed["outcome"] == "noneMigrated"
