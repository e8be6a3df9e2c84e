"""The HTTP API's answers: errors as problem+json, conflicts, the dry run, listing, decisions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from emulator.testing import SUBSCRIPTION
from migration.durable.claims import claim_id
from migration.durable.jobs import watcher_id
from tests.e2e.test_migration import APP, WEB, request
from tests.stack import GALLERY, Stack, image_id

PROBLEM = "application/problem+json"


def writes(stack: Stack) -> int:
    return sum(
        count
        for operation, count in stack.emulator.counters.items()
        if operation.endswith((".create_or_update", ".delete"))
    )


async def test_bad_request_names_every_field_and_starts_nothing(stack: Stack) -> None:
    body = request(WEB, WEB.upper().replace("SUBSCRIPTIONS", "subscriptions"))
    body["targetRegions"] = [{"name": "eastus", "replicaCount": 0}]
    body["endOfLifeDate"] = "2001-01-01"
    body["deleteSource"] = "whenever"
    answer = await stack.call("POST", "migrations", body)
    assert answer.status == 400
    assert answer.content_type == PROBLEM
    assert answer.body["status"] == 400
    fields = {e["field"] for e in answer.body["errors"]}
    assert fields == {
        "images[1].source",
        "targetRegions[0].replicaCount",
        "endOfLifeDate",
        "deleteSource",
    }
    listed = await stack.call("GET", "migrations")
    assert listed.body["migrations"] == []
    assert stack.host.get_status(claim_id(WEB)) is None
    assert writes(stack) == 0


async def test_a_body_that_is_not_json(stack: Stack) -> None:
    answer = await stack.call("POST", "migrations", raw=b"{nope")
    assert answer.status == 400
    assert answer.body["errors"][0]["field"] == ""


@pytest.mark.parametrize(
    ("app_settings", "outside"),
    [
        (
            {"ALLOWED_SCOPES": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/gallery-rg"},
            "images[0].source",
        ),
        ({"ALLOWED_SCOPES": f"/subscriptions/{SUBSCRIPTION}/resourceGroups/images-rg"}, "gallery"),
    ],
)
async def test_out_of_scope_resources_are_forbidden(stack: Stack, outside: str) -> None:
    answer = await stack.call("POST", "migrations", request())
    plan = await stack.call("POST", "migrations/plan", request())
    assert answer.status == 403
    assert answer.content_type == PROBLEM
    assert [e["field"] for e in answer.body["errors"]] == [outside]
    assert plan.status == 403
    assert writes(stack) == 0


async def test_a_second_migration_of_a_source_waits_its_turn(stack: Stack) -> None:
    first = await stack.start(request())
    answer = await stack.call("POST", "migrations", request(APP, WEB))
    assert answer.status == 409
    assert answer.content_type == PROBLEM
    assert answer.body["migrationId"] == first
    assert answer.body["source"] == WEB
    assert first in answer.body["detail"]
    # The refused request held nothing: APP is free for someone else.
    other = await stack.start(request(APP, deleteSource="never"))
    await stack.awaiting_approval(first)
    await stack.call("POST", f"migrations/{first}/reject", {"by": "ana"})
    await stack.finish(first)
    await stack.finish(other)
    again = await stack.start(request(deleteSource="never"))
    assert (await stack.finish(again))["runtimeStatus"] == "Completed"


async def test_requests_for_the_same_sources_in_any_order_let_one_through(stack: Stack) -> None:
    answers = await asyncio.gather(
        stack.call("POST", "migrations", request(WEB, APP, deleteSource="never")),
        stack.call("POST", "migrations", request(APP, WEB, deleteSource="never")),
    )
    assert sorted(answer.status for answer in answers) == [202, 409]


async def test_a_claim_left_by_a_terminated_migration_is_released(stack: Stack) -> None:
    first = await stack.start(request())
    async with stack.http.post(
        f"{stack.base_url}/runtime/webhooks/durabletask/instances/{first}/terminate?reason=ops"
    ) as response:
        assert response.status == 202
    await stack.host.run_until_idle()
    assert (await stack.status(first))["runtimeStatus"] == "Terminated"
    second = await stack.start(request(deleteSource="never"))
    assert (await stack.finish(second))["runtimeStatus"] == "Completed"


async def test_plan_is_a_dry_run(stack: Stack) -> None:
    body = request(WEB, image_id("missing"), endOfLifeDate="2030-12-31")
    answer = await stack.call("POST", "migrations/plan", body)
    assert answer.status == 200
    plan: dict[str, Any] = answer.body
    assert plan["valid"] is False
    assert [d["name"] for d in plan["definitionsToCreate"]] == ["web"]
    web, missing = plan["images"]
    assert (web["version"], web["definition"]["name"]) == ("1.0.0", "web")
    assert [r["name"] for r in web["targetRegions"]] == ["eastus", "westus2"]
    assert "was not found" in missing["problems"][0]
    assert writes(stack) == 0
    assert (await stack.call("GET", "migrations")).body["migrations"] == []


async def test_status_and_list(stack: Stack) -> None:
    migration_id = await stack.start(request(deleteSource="never"))
    unknown = await stack.call("GET", "migrations/mig-0000")
    assert unknown.status == 404
    assert unknown.content_type == PROBLEM
    # Internal instances (claims, the replication watcher) are not migrations.
    assert (await stack.call("GET", f"migrations/{claim_id(WEB)}")).status == 404
    assert (await stack.call("GET", f"migrations/{watcher_id(migration_id)}")).status == 404
    running = await stack.call("GET", "migrations?runtimeStatus=Running,Pending")
    assert [m["id"] for m in running.body["migrations"]] == [migration_id]
    await stack.finish(migration_id)
    listed = await stack.call("GET", "migrations?runtimeStatus=Completed&top=5")
    item = listed.body["migrations"][0]
    assert (item["id"], item["runtimeStatus"], item["images"]) == (migration_id, "Completed", 1)
    assert item["summary"] == {"kept": 1}
    after = (stack.clock.now() + timedelta(minutes=1)).isoformat()
    later = await stack.call("GET", "migrations?" + urlencode({"createdAfter": after}))
    assert later.body["migrations"] == []
    since = await stack.call("GET", "migrations?createdAfter=2000-01-01")
    assert [m["id"] for m in since.body["migrations"]] == [migration_id]
    bad = await stack.call("GET", "migrations?runtimeStatus=Sleeping&top=0&createdAfter=soon")
    assert bad.status == 400
    assert {e["field"] for e in bad.body["errors"]} == {"runtimeStatus", "top", "createdAfter"}


async def test_decisions_are_checked(stack: Stack) -> None:
    never = await stack.start(request(APP, deleteSource="never"))
    answer = await stack.call("POST", f"migrations/{never}/approve", {"by": "ana"})
    assert answer.status == 409
    assert "needs no approval" in answer.body["detail"]

    migration_id = await stack.start(request())
    assert (await stack.call("POST", f"migrations/{migration_id}/approve", {})).status == 400
    extra = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "a", "x": 1})
    assert extra.status == 400
    assert (await stack.call("POST", "migrations/mig-nope/approve", {"by": "a"})).status == 404
    await stack.awaiting_approval(migration_id)
    assert (
        await stack.call("POST", f"migrations/{migration_id}/reject", {"by": "bo"})
    ).status == 202
    await stack.host.run_until_idle()
    late = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ana"})
    assert late.status == 409
    final = await stack.finish(migration_id)
    assert final["images"][0]["phase"] == "kept"
    done = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ana"})
    assert done.status == 409
    assert "has ended" in done.body["detail"]
    await stack.finish(never)


async def test_gallery_that_does_not_exist(stack: Stack) -> None:
    body = request(gallery=GALLERY + "x")
    final = await stack.finish(await stack.start(body))
    assert final["images"][0]["phase"] == "blocked"
    assert "was not found" in final["images"][0]["error"]
    assert final["problems"]


async def test_status_right_after_start_comes_from_the_request(stack: Stack) -> None:
    answer = await stack.call("POST", "migrations", request(WEB, APP, deleteSource="never"))
    # No episode has run yet: the status still says what was asked for.
    status = await stack.status(answer.body["migrationId"])
    assert status["deleteSource"] == "never"
    assert [i["source"] for i in status["images"]] == [WEB, APP]
    assert status["gallery"] == GALLERY
    await stack.finish(answer.body["migrationId"])


async def start_claim(stack: Stack, holder: str, claimed_at: str) -> None:
    """A claim as a starter leaves it between claiming a source and starting its migration."""
    url = f"{stack.base_url}/runtime/webhooks/durabletask/orchestrators/hold_source/{claim_id(WEB)}"
    body = {"migrationId": holder, "source": WEB, "claimedAt": claimed_at}
    async with stack.http.post(url, json=body) as response:
        assert response.status == 202
    await stack.host.run_until_idle()


async def test_a_claim_being_taken_right_now_is_respected(stack: Stack) -> None:
    await start_claim(stack, "mig-starting", datetime.now(UTC).isoformat())
    answer = await stack.call("POST", "migrations", request())
    assert answer.status == 409
    assert answer.body["migrationId"] == "mig-starting"


async def test_a_claim_whose_starter_never_started_is_released_later(stack: Stack) -> None:
    await start_claim(stack, "mig-crashed", (datetime.now(UTC) - timedelta(hours=1)).isoformat())
    migration_id = await stack.start(request(deleteSource="never"))
    assert (await stack.finish(migration_id))["runtimeStatus"] == "Completed"


@pytest.mark.parametrize("app_settings", [{"INCLUDE_DURABLE_LINKS": "true"}])
async def test_durable_links_only_when_asked_for(stack: Stack) -> None:
    answer = await stack.call("POST", "migrations", request(deleteSource="never"))
    assert answer.status == 202
    assert answer.body["statusQueryGetUri"]
    assert answer.body["id"] == answer.body["migrationId"]
    await stack.finish(answer.body["migrationId"])
