"""What the status endpoint shows at each stage of an instance's life, through the read model."""

from __future__ import annotations

import json
from typing import Any

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.state import MigrationState
from migration.durable.jobs import MigrationInput
from migration.durable.status import ReplicationProgress, read_progress, read_state
from tests.migration.factories import GALLERY, image_id, options, parse
from triggers.views import migration_view, summary_view

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
    durable: DurableOrchestrationStatus, progress: ReplicationProgress | None = None
) -> dict[str, Any]:
    state = read_state(durable)
    assert isinstance(state, MigrationState)
    return migration_view(durable, state, progress, {"statusUri": "u"})


def test_before_the_first_episode_the_input_speaks() -> None:
    # The extension shows a client-started instance's input as a JSON string.
    view = view_of(status(runtimeStatus="Pending", input=json.dumps(JOB)))
    assert view["phase"] == "inspecting"
    assert view["deleteSource"] == "never"
    assert [(i["source"], i["phase"]) for i in view["images"]] == [(SOURCE, "planned")]


def test_running_instances_show_their_custom_status_and_live_regions() -> None:
    custom = BASE | {
        "phase": "replicating",
        "images": [{"source": SOURCE, "phase": "replicating", "regions": []}],
    }
    watcher = status(
        name="watch_replication",
        customStatus={
            "polledAt": "2026-01-05T09:05:00Z",
            "images": [
                {
                    "index": 0,
                    "state": "replicating",
                    "regions": [{"name": "eastus", "state": "Replicating", "progress": 40}],
                }
            ],
        },
    )
    view = view_of(status(customStatus=custom), read_progress(watcher))
    assert view["images"][0]["regions"] == [
        {"name": "eastus", "state": "Replicating", "progress": 40, "details": ""}
    ]
    assert view["replicationPolledAt"] == "2026-01-05T09:05:00+00:00"
    assert view["awaitingApproval"] is False
    assert view["links"] == {"statusUri": "u"}


def test_awaiting_approval_until_decided() -> None:
    custom = BASE | {"phase": "awaitingApproval", "approval": {"required": True}, "images": []}
    assert view_of(status(customStatus=custom))["awaitingApproval"] is True
    custom["approval"] = {"required": True, "decision": "approved"}
    assert view_of(status(customStatus=custom))["awaitingApproval"] is False


def test_completed_shows_the_result_failed_shows_the_error() -> None:
    result = BASE | {
        "phase": "done",
        "images": [{"source": SOURCE, "phase": "deleted"}],
        "summary": {"deleted": 1},
    }
    done = view_of(status(runtimeStatus="Completed", output=result))
    assert (done["phase"], done["summary"]) == ("done", {"deleted": 1})
    failed = view_of(
        status(
            runtimeStatus="Failed",
            output="Orchestrator function 'migrate' failed: boom",
            input=json.dumps(JOB),
        )
    )
    assert failed["error"] == "Orchestrator function 'migrate' failed: boom"


def test_a_cut_down_status_takes_sources_from_the_input() -> None:
    custom = BASE | {"phase": "replicating", "images": [{"phase": "replicating"}]}
    view = view_of(status(customStatus=custom, input=json.dumps(JOB)))
    assert [(i["source"], i["phase"]) for i in view["images"]] == [(SOURCE, "replicating")]


def test_a_status_that_is_not_a_migrations_falls_back_to_the_input() -> None:
    view = view_of(status(customStatus={"something": "else"}, input=json.dumps(JOB)))
    assert view["phase"] == "inspecting"


def test_the_list_shows_counts_and_survives_an_instance_with_no_state() -> None:
    custom = BASE | {"phase": "replicating", "images": [{"source": SOURCE, "phase": "failed"}]}
    item = summary_view(status(customStatus=custom), read_state(status(customStatus=custom)), {})
    assert (item["images"], item["summary"]) == (1, {"failed": 1})
    pending = summary_view(status(runtimeStatus="Pending"), None, {})
    assert (pending["phase"], pending["images"]) == (None, 0)


def test_a_finished_migration_says_how_many_images_it_migrated() -> None:
    def done(*phases: str) -> dict[str, Any]:
        result = BASE | {
            "phase": "done",
            "images": [{"source": f"{SOURCE}{n}", "phase": p} for n, p in enumerate(phases)],
        }
        return view_of(status(runtimeStatus="Completed", output=result))

    assert done("deleted", "kept")["outcome"] == "allMigrated"
    assert done("deleted", "blocked")["outcome"] == "partlyMigrated"
    assert done("blocked", "failed")["outcome"] == "noneMigrated"
    running = BASE | {"phase": "replicating", "images": [{"source": SOURCE, "phase": "failed"}]}
    assert view_of(status(customStatus=running))["outcome"] is None
    failed = view_of(status(runtimeStatus="Failed", output="boom", input=json.dumps(JOB)))
    assert failed["outcome"] == "noneMigrated"
