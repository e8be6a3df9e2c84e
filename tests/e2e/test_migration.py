"""Whole migrations through the HTTP API: devhost runs the app, the emulator plays ARM."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from emulator import (
    EmulatorConfig,
    FailingRegion,
    FaultConfig,
    PolicyWindow,
    ReplicationModel,
    ThrottleConfig,
)
from migration.durable.jobs import batch_id, watcher_id
from orchestrators.replication import WatchInput
from tests.stack import GALLERY, Stack, image_id, open_stack

WEB = image_id("web")
APP = image_id("app")


def request(*sources: str, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "gallery": GALLERY,
        "images": [{"source": s} for s in sources or (WEB,)],
        "targetRegions": [
            {"name": "eastus", "replicaCount": 1},
            {"name": "westus2", "replicaCount": 2, "storageAccountType": "Standard_ZRS"},
        ],
    }
    body.update(fields)
    return body


def image(status: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return dict(status["images"][index])


async def test_migration_with_approval(stack: Stack) -> None:
    answer = await stack.call("POST", "migrations", request())
    assert answer.status == 202
    migration_id = answer.body["migrationId"]
    assert answer.headers["Location"] == f"{stack.api}/migrations/{migration_id}"
    assert answer.body["approveUri"].endswith(f"/migrations/{migration_id}/approve")
    # The Durable management links carry the extension's system key in Azure: not by default.
    assert "statusQueryGetUri" not in answer.body
    assert "sendEventPostUri" not in answer.body

    seen_progress: set[int] = set()

    def replicated_and_waiting(status: dict[str, Any]) -> bool:
        for region in image(status).get("regions") or []:
            seen_progress.add(region["progress"])
        return bool(status["awaitingApproval"])

    waiting = await stack.until(replicated_and_waiting, migration_id)
    assert waiting["phase"] == "awaitingApproval"
    assert stack.image_exists(WEB), "nothing may be deleted before approval"
    assert any(0 < p < 100 for p in seen_progress), "progress was never shown mid-replication"
    assert image(waiting)["phase"] == "replicated"
    assert {r["name"]: r["state"] for r in image(waiting)["regions"]} == {
        "eastus": "Completed",
        "westus2": "Completed",
    }

    approved_at = stack.clock.now()
    approved = await stack.call(
        "POST", f"migrations/{migration_id}/approve", {"by": "ana", "reason": "smoke-tested"}
    )
    assert approved.status == 202
    final = await stack.finish(migration_id)
    assert final["runtimeStatus"] == "Completed"
    # The approval timer lost the race and was cancelled: nothing waited for its three days.
    assert stack.clock.now() - approved_at < timedelta(hours=1)
    result = image(final)
    assert result["phase"] == "deleted"
    assert result["sourceDeleted"] is True
    assert result["definition"] == "web"
    assert result["version"] == "1.0.0"
    assert result["decision"]["by"] == "ana"
    assert result["decision"]["reason"] == "smoke-tested"
    assert final["approval"]["approved"] == 1
    assert final["approval"]["decisions"][0]["by"] == "ana"
    assert not stack.image_exists(WEB)
    version = stack.emulator.resource(f"{GALLERY}/images/web/versions/1.0.0")
    assert version is not None
    assert version["properties"]["provisioningState"] == "Succeeded"
    assert version["tags"]["galleryMigrator.migrationId"] == migration_id
    stats = stack.host.instance_stats(migration_id)
    assert stats.history_length < 200, "replication polling must not grow the parent's history"


async def test_after_replication_needs_no_approval(stack: Stack) -> None:
    migration_id = await stack.start(request(deleteSource="afterReplication"))
    final = await stack.finish(migration_id)
    assert image(final)["phase"] == "deleted"
    assert final["approval"] is None or not final["approval"]["required"]
    assert not stack.image_exists(WEB)


async def test_never_keeps_the_source(stack: Stack) -> None:
    migration_id = await stack.start(request(deleteSource="never"))
    final = await stack.finish(migration_id)
    assert image(final)["phase"] == "kept"
    assert image(final)["keptReason"] == "deleteSource is never"
    assert stack.image_exists(WEB)


async def test_rejection_keeps_the_source_and_says_who(stack: Stack) -> None:
    migration_id = await stack.start(request())
    await stack.awaiting_approval(migration_id)
    answer = await stack.call(
        "POST", f"migrations/{migration_id}/reject", {"by": "bo", "reason": "boot test failed"}
    )
    assert answer.status == 202
    final = await stack.finish(migration_id)
    assert image(final)["phase"] == "kept"
    assert image(final)["keptReason"] == "rejected by bo: boot test failed"
    assert image(final)["decision"]["decision"] == "rejected"
    assert final["approval"]["rejected"] == 1
    assert stack.image_exists(WEB)


async def test_approval_timeout_keeps_the_source(stack: Stack) -> None:
    migration_id = await stack.start(request(approvalTimeout="PT2H"))
    final = await stack.finish(migration_id)
    assert final["approval"]["timedOut"] == 1
    assert image(final)["decision"]["decision"] == "timedOut"
    assert image(final)["keptReason"] == "no approval before the approval timeout"
    assert stack.image_exists(WEB)


async def test_long_approval_wait_is_a_chain_of_timers(stack: Stack) -> None:
    migration_id = await stack.start(request(approvalTimeout="P20D"))
    waiting = await stack.awaiting_approval(migration_id)
    deadline = waiting["approval"]["deadline"]
    # Ten days on, past the first six-day timer, the wait still holds.
    start = stack.clock.now()
    await stack.until(lambda s: (stack.clock.now() - start).days >= 10, migration_id)
    still = await stack.status(migration_id)
    assert still["awaitingApproval"]
    assert still["approval"]["deadline"] == deadline
    await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ana"})
    final = await stack.finish(migration_id)
    assert image(final)["phase"] == "deleted"


async def test_a_decision_before_replication_has_finished_is_refused(stack: Stack) -> None:
    migration_id = await stack.start(request())
    answer = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ana"})
    assert answer.status == 409
    assert "not waiting for approval yet" in answer.body["detail"]
    await stack.awaiting_approval(migration_id)
    assert stack.image_exists(WEB)
    assert (
        await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ana"})
    ).status == 202
    assert image(await stack.finish(migration_id))["phase"] == "deleted"


async def test_two_decisions_at_once_the_first_recorded_wins(stack: Stack) -> None:
    migration_id = await stack.start(request())
    await stack.awaiting_approval(migration_id)
    reject, approve = await asyncio.gather(
        stack.call(
            "POST", f"migrations/{migration_id}/reject", {"by": "security", "reason": "CVE"}
        ),
        stack.call("POST", f"migrations/{migration_id}/approve", {"by": "dev"}),
    )
    assert sorted([reject.status, approve.status]) == [202, 409]
    winner = "rejected" if reject.status == 202 else "approved"
    final = await stack.finish(migration_id)
    assert image(final)["decision"]["decision"] == winner
    assert stack.image_exists(WEB) == (winner == "rejected")


FAILING_WESTUS2 = FaultConfig(failing_regions={"westus2": FailingRegion(at_progress=40)})


# Linear progress: the retry below needs eastus of the failed version to have finished copying
# the source when westus2 fails at 40 %, or its PUT meets "source in use" (409). Under the
# default mix eastus may still be copying (a spread version, or westus2 stepping past 40 early).
LINEAR = ReplicationModel(profile="linear")


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(faults=FAILING_WESTUS2, replication=LINEAR)]
)
async def test_a_failing_region_keeps_the_source_and_says_where(stack: Stack) -> None:
    migration_id = await stack.start(request(deleteSource="afterReplication"))
    final = await stack.finish(migration_id)
    assert final["runtimeStatus"] == "Completed"
    web = image(final)
    assert web["phase"] == "failed"
    assert web["error"].startswith("replication failed in westus2")
    assert {r["name"]: r["state"] for r in web["regions"]}["westus2"] == "Failed"
    assert web["sourceDeleted"] is False
    assert stack.image_exists(WEB)
    # Once the region recovers, a second attempt makes a new version (a Failed one is not
    # adopted) and completes. The watcher sees the failure within a minute, while eastus may
    # still be copying the source, and a new version cannot copy it meanwhile: wait for eastus.
    stack.emulator.configure_faults(FaultConfig())
    while (due := stack.emulator.next_due()) is not None:
        stack.clock.advance_to(due)
        stack.emulator.settle()
    retry = await stack.finish(await stack.start(request(deleteSource="afterReplication")))
    assert (image(retry)["phase"], image(retry)["version"]) == ("deleted", "1.0.1")


async def test_already_migrated_image_is_adopted_not_copied(stack: Stack) -> None:
    first = await stack.start(request(deleteSource="never"))
    await stack.finish(first)
    second = await stack.start(request(deleteSource="afterReplication"))
    final = await stack.finish(second)
    # One version made; the second migration only blocks its deletion before the source goes.
    made = [
        e for e in stack.emulator.events if e.kind == "created" and "/versions/" in e.resource_id
    ]
    assert len(made) == 1
    assert image(final)["deletionBlocked"] is True
    assert image(final)["version"] == "1.0.0"
    assert any("reusing it" in note for note in image(final)["notes"])
    assert image(final)["phase"] == "deleted"


async def test_an_image_recreated_under_the_same_id_gets_a_version_of_its_own(
    stack: Stack,
) -> None:
    first = await stack.finish(await stack.start(request(deleteSource="never")))
    assert image(first)["version"] == "1.0.0"
    # Deleted and captured again from another VM: the same id, other disks.
    assert await stack.arm("DELETE", WEB) == 202
    stack.emulator.seed_image(WEB, location="eastus", os_disk_gb=64)
    second = await stack.finish(await stack.start(request(deleteSource="afterReplication")))
    assert image(second)["version"] == "1.0.1", "1.0.0 holds the old disks, not these"
    assert image(second)["phase"] == "deleted"


async def test_incompatible_existing_definition_blocks_the_image(stack: Stack) -> None:
    client_body = {
        "location": "eastus",
        "properties": {
            "osType": "Windows",
            "osState": "Generalized",
            "hyperVGeneration": "V1",
            "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
        },
    }
    assert await stack.arm("PUT", f"{GALLERY}/images/web", client_body) == 201
    writes = stack.emulator.counters.get("gallery_images.create_or_update", 0)
    migration_id = await stack.start(request())
    final = await stack.finish(migration_id)
    assert image(final)["phase"] == "blocked"
    assert "is for Windows" in image(final)["error"]
    assert stack.emulator.counters.get("gallery_images.create_or_update", 0) == writes
    assert stack.emulator.counters.get("gallery_image_versions.create_or_update", 0) == 0
    assert stack.image_exists(WEB)


async def test_image_not_succeeded_is_blocked(stack: Stack) -> None:
    stack.emulator.seed_image(image_id("broken"), location="eastus", provisioning_state="Failed")
    migration_id = await stack.start(
        request(image_id("broken"), WEB, deleteSource="afterReplication")
    )
    final = await stack.finish(migration_id)
    assert image(final, 0)["phase"] == "blocked"
    assert "not 'Succeeded'" in image(final, 0)["error"]
    assert stack.image_exists(image_id("broken"))
    assert image(final, 1)["phase"] == "deleted"


THROTTLED = FaultConfig.model_validate(
    {
        "throttle": {
            "enabled": True,
            # One delete reads five times in a row (version, image, scale sets, version, image).
            "reads": {"capacity": 6, "refill_per_second": 0.2},
            "writes": {"capacity": 2, "refill_per_second": 0.1},
            "deletes": {"capacity": 200, "refill_per_second": 10},
        }
    }
)


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(faults=THROTTLED)])
async def test_throttling_is_waited_out_on_durable_timers(stack: Stack) -> None:
    migration_id = await stack.start(request(WEB, APP, deleteSource="afterReplication"))
    final = await stack.finish(migration_id)
    assert [i["phase"] for i in final["images"]] == ["deleted", "deleted"]
    throttled = [r for r in stack.emulator.request_log if r.status == 429]
    assert throttled, "the test's limits must actually throttle"
    # The replication reads too are paced in the migration's budget: its watcher was given it.
    watcher = stack.host.get_status(watcher_id(batch_id(migration_id, 0)))
    assert watcher is not None
    given = watcher["input"]
    watch = WatchInput.from_json(json.loads(given) if isinstance(given, str) else given)
    assert set(watch.budget or {}) >= {"reads"}


async def test_a_budget_that_knows_the_buckets_paces_the_calls_within_them() -> None:
    """The same migration with ARM_BUDGET set to the emulator's buckets, and without (the app
    then assumes ARM's far larger defaults): pacing, not luck, keeps the 429s away."""
    throttled = {
        "paced": await _throttled_migration({"ARM_BUDGET": "reads=6/0.2,writes=2/0.1"}, THROTTLED),
        "unpaced": await _throttled_migration({}, THROTTLED),
    }
    # One inspection reads more than the whole bucket, and calls start a moment after their
    # reservation: a few 429s remain, waited out.
    assert throttled["paced"] * 4 <= throttled["unpaced"], throttled


async def _throttled_migration(settings: dict[str, str], faults: FaultConfig) -> int:
    """Migrate four images under ``faults`` with ``settings``; the 429s ARM answered."""
    async with open_stack(settings, EmulatorConfig(faults=faults)) as stack:
        sources = [image_id(f"img-{n}") for n in range(4)]
        for source in sources:
            stack.emulator.seed_image(source, location="eastus", os_type="Linux")
        body = request(*sources, deleteSource="afterReplication")
        final = await stack.finish(await stack.start(body))
        assert [i["phase"] for i in final["images"]] == ["deleted"] * 4
        return sum(1 for r in stack.emulator.request_log if r.status == 429)


def _gallery_writes(three: int, thirty: int) -> FaultConfig:
    """ARM's buckets as they are, Compute's gallery-write policy tightened."""
    policies = [
        policy.model_copy(
            update={
                "windows": (
                    PolicyWindow(suffix="3Min", seconds=180, limit=three),
                    PolicyWindow(suffix="30Min", seconds=1800, limit=thirty),
                )
            }
        )
        if policy.name == "GalleryWrite"
        else policy
        for policy in ThrottleConfig().compute_policies
    ]
    return FaultConfig(throttle=ThrottleConfig(enabled=True, compute_policies=tuple(policies)))


async def test_gallery_writes_are_paced_within_computes_policy() -> None:
    """Compute meters gallery writes far tighter than ARM's writes: with the galleryWrites
    bucket sized to its policy the versions are started without meeting it; with ARM's buckets
    alone every burst of writes is throttled."""
    faults = _gallery_writes(3, 12)
    throttled = {
        "paced": await _throttled_migration({"ARM_BUDGET": "galleryWrites=2/0.006"}, faults),
        "unpaced": await _throttled_migration({"ARM_BUDGET": "galleryWrites=200/10"}, faults),
    }
    assert throttled["unpaced"] >= 4, throttled
    assert throttled["paced"] * 4 <= throttled["unpaced"], throttled


@pytest.mark.parametrize(
    "emulator_config",
    [EmulatorConfig(faults=FaultConfig(cache_lag_requests=1, error_rate=0.15, seed=7))],
)
async def test_cache_lag_and_server_errors_are_retried(stack: Stack) -> None:
    migration_id = await stack.start(request(WEB, APP, deleteSource="afterReplication"))
    final = await stack.finish(migration_id)
    assert [i["phase"] for i in final["images"]] == ["deleted", "deleted"]
    assert any(r.fault == "cache-lag" for r in stack.emulator.request_log)
    assert any(r.fault == "error" for r in stack.emulator.request_log)


async def test_two_images_one_failing_the_other_migrates(stack: Stack) -> None:
    body = request(WEB, image_id("missing"), deleteSource="afterReplication")
    final = await stack.finish(await stack.start(body))
    assert image(final, 0)["phase"] == "deleted"
    assert image(final, 1)["phase"] == "blocked"
    assert final["summary"] == {"deleted": 1, "blocked": 1}


async def test_a_large_migration_keeps_its_status_within_durables_limit(stack: Stack) -> None:
    """devhost fails an instance whose custom status is over 16 KB, as the extension does."""
    sources = [image_id(f"img-{n:02}") for n in range(24)]
    for source in sources:
        stack.emulator.seed_image(source, location="eastus", os_type="Linux")
    body = request(*sources, deleteSource="afterReplication")
    body["targetRegions"] += [
        {"name": "northeurope"},
        {"name": "westeurope"},
        {"name": "centralus"},
    ]
    final = await stack.finish(await stack.start(body))
    assert final["runtimeStatus"] == "Completed"
    assert [i["phase"] for i in final["images"]] == ["deleted"] * 24
