"""What the status endpoint shows at each stage of an instance's life."""

from __future__ import annotations

import json
from typing import Any

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from triggers.views import delete_policy, migration_view

SOURCE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/web"
JOB = {
    "migrationId": "mig-1",
    "trigger": "http",
    "request": {"gallery": "g", "images": [{"source": SOURCE}], "deleteSource": "never"},
}


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


def test_before_the_first_episode_the_input_speaks() -> None:
    # The extension shows a client-started instance's input as a JSON string.
    pending = status(runtimeStatus="Pending", input=json.dumps(JOB))
    view = migration_view(pending, None, {})
    assert view["phase"] == "inspecting"
    assert view["deleteSource"] == "never"
    assert view["images"] == [{"source": SOURCE, "phase": "planned"}]
    assert delete_policy(pending).value == "never"


def test_running_instances_show_their_custom_status_and_live_regions() -> None:
    custom = {
        "phase": "replicating",
        "deleteSource": "afterApproval",
        "images": [{"source": SOURCE, "phase": "replicating", "regions": []}],
    }
    watcher = status(
        name="watch_replication",
        customStatus={
            "polledAt": "2026-01-05T09:05:00Z",
            "images": [
                {
                    "index": 0,
                    "regions": [{"name": "eastus", "state": "Replicating", "progress": 40}],
                }
            ],
        },
    )
    view = migration_view(status(customStatus=custom), watcher, {"statusUri": "u"})
    assert view["images"][0]["regions"] == [
        {"name": "eastus", "state": "Replicating", "progress": 40}
    ]
    assert view["awaitingApproval"] is False
    assert view["links"] == {"statusUri": "u"}


def test_awaiting_approval_until_decided() -> None:
    custom = {"phase": "awaitingApproval", "approval": {"required": True}, "images": []}
    assert migration_view(status(customStatus=custom), None, {})["awaitingApproval"] is True
    custom["approval"] = {"required": True, "decision": "approved"}
    assert migration_view(status(customStatus=custom), None, {})["awaitingApproval"] is False


def test_completed_shows_the_result_failed_shows_the_error() -> None:
    result = {
        "phase": "done",
        "images": [{"source": SOURCE, "phase": "deleted"}],
        "summary": {"deleted": 1},
    }
    done = migration_view(status(runtimeStatus="Completed", output=result), None, {})
    assert (done["phase"], done["summary"]) == ("done", {"deleted": 1})
    failed = migration_view(
        status(runtimeStatus="Failed", output="Orchestrator function 'migrate' failed: boom"),
        None,
        {},
    )
    assert failed["error"] == "Orchestrator function 'migrate' failed: boom"


def test_a_cut_down_status_takes_sources_from_the_input() -> None:
    custom = {"phase": "replicating", "images": [{"phase": "replicating"}], "truncated": True}
    view = migration_view(status(customStatus=custom, input=json.dumps(JOB)), None, {})
    assert view["images"] == [{"phase": "replicating", "source": SOURCE}]
