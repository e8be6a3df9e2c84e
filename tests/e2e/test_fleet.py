"""Fleets through the HTTP API: images selected by scope across resource groups, batches,
images read in pages, version slots, and one approval with decisions on named images."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.testing import SUBSCRIPTION
from tests.stack import GALLERY, Stack, image_id

GROUPS = ["team-a", "team-b", "team-c", "team-d"]


def seed_fleet(stack: Stack, per_group: int, *, untagged: int = 0) -> list[str]:
    sources = []
    for group in GROUPS:
        for n in range(per_group):
            source = image_id(f"{group}-img{n:02}", rg=group)
            stack.emulator.seed_image(source, location="eastus", tags={"migrate": "yes"})
            sources.append(source)
        for n in range(untagged):
            stack.emulator.seed_image(image_id(f"{group}-keep{n}", rg=group), location="eastus")
    return sources


def scoped(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "gallery": GALLERY,
        "scopes": [f"/subscriptions/{SUBSCRIPTION}"],
        "filters": {"tags": {"migrate": None}},
        "targetRegions": [{"name": "eastus"}, {"name": "westus2"}],
        "deleteSource": "afterReplication",
    }
    body.update(fields)
    return body


async def every_image(stack: Stack, migration_id: str, query: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    path = f"migrations/{migration_id}/images?{query}"
    pages = 0
    while True:
        answer = await stack.call("GET", path)
        assert answer.status == 200, answer.body
        found += answer.body["images"]
        pages += 1
        if "continuationToken" not in answer.body:
            return found
        assert pages < 50
        path = answer.body["nextUri"].split("/api/", 1)[1]


@pytest.mark.timeout(600)
async def test_a_hundred_images_selected_by_scope_across_resource_groups(stack: Stack) -> None:
    sources = seed_fleet(stack, 26, untagged=2)
    # One is another migration's (still waiting for approval), one was migrated before.
    held, migrated = sources[0], sources[1]
    first = await stack.start(
        {"gallery": GALLERY, "images": [{"source": migrated}], "deleteSource": "never"}
    )
    assert (await stack.finish(first))["outcome"] == "allMigrated"
    holder = await stack.start({"gallery": GALLERY, "images": [{"source": held}]})
    await stack.awaiting_approval(holder)

    migration_id = await stack.start(scoped())
    final = await stack.finish(migration_id)
    assert final["runtimeStatus"] == "Completed"
    selection = final["selection"]
    assert (selection["scopes"], selection["listed"]) == (1, 2 + 4 * 28)
    assert (selection["selected"], selection["heldByOthers"]) == (103, 1)
    assert final["summary"] == {"deleted": 102, "skipped": 2}
    assert final["imageCount"] == 104
    assert final["batches"] >= 6
    assert final["outcome"] == "allMigrated"
    assert len(final["images"]) == 100
    assert "imagesNextUri" in final

    images = await every_image(stack, migration_id, "top=40")
    assert sorted(i["source"] for i in images) == sorted(sources)
    assert [i["index"] for i in images] == list(range(104))
    skipped = {i["source"]: i["keptReason"] for i in images if i["phase"] == "skipped"}
    assert skipped[held] == f"being migrated by migration {holder}"
    assert skipped[migrated] == "already migrated"
    assert stack.image_exists(held)
    assert stack.image_exists(migrated)
    for group in GROUPS:
        assert stack.image_exists(image_id(f"{group}-keep0", rg=group)), "untagged: not taken"
        assert not stack.image_exists(image_id(f"{group}-img05", rg=group))
    deleted = await every_image(stack, migration_id, "phase=deleted&top=200")
    assert len(deleted) == 102

    # The migration's own status stayed small whatever the fleet's size.
    stats = stack.host.instance_stats(migration_id)
    assert stats.history_length < 400
    answer = await stack.call("GET", f"migrations/{migration_id}/images?top=0&phase=nope")
    assert answer.status == 400
    assert {e["field"] for e in answer.body["errors"]} == {"top", "phase"}


@pytest.mark.parametrize(
    "app_settings", [{"MAX_CONCURRENT_VERSIONS": "20"}, {"MAX_CONCURRENT_VERSIONS": "5"}]
)
@pytest.mark.timeout(600)
async def test_version_slots_bound_the_versions_copying_at_once(
    stack: Stack, app_settings: dict[str, str]
) -> None:
    seed_fleet(stack, 12)
    final = await stack.finish(await stack.start(scoped()))
    assert final["summary"] == {"deleted": 48}
    copying = 0
    most = 0
    for event in stack.emulator.events:
        if "/versions/" not in event.resource_id.lower():
            continue
        if event.kind == "created":
            copying += 1
        elif event.kind in ("succeeded", "failed"):
            copying -= 1
        most = max(most, copying)
    assert 0 < most <= int(app_settings["MAX_CONCURRENT_VERSIONS"]), most


async def test_one_approval_decides_named_images_then_the_rest(stack: Stack) -> None:
    web, app = image_id("web"), image_id("app")
    body = {"gallery": GALLERY, "images": [{"source": web}, {"source": app}]}
    migration_id = await stack.start(body)
    waiting = await stack.awaiting_approval(migration_id)
    assert waiting["approval"]["undecided"] == 2
    approve = f"migrations/{migration_id}/approve"
    answer = await stack.call("POST", approve, {"by": "ann", "images": [web]})
    assert (answer.status, answer.body["images"]) == (202, 1)
    answer = await stack.call("POST", approve, {"by": "ann", "images": [web]})
    assert answer.status == 409, "every image it names is decided already"
    answer = await stack.call("POST", f"migrations/{migration_id}/reject", {"by": "bob"})
    assert (answer.status, answer.body["images"]) == (202, 1)
    final = await stack.finish(migration_id)
    phases = {i["source"]: (i["phase"], i["decision"]["by"]) for i in final["images"]}
    assert phases == {web: ("deleted", "ann"), app: ("kept", "bob")}
    # A decision that found its images decided already is recorded too (with 0 images), when
    # it reached the migration before the image pages showed the first one.
    decided = [d["by"] for d in final["approval"]["decisions"] if d["images"]]
    assert decided == ["ann", "bob"]
    assert stack.image_exists(app)
    assert not stack.image_exists(web)


async def test_a_dry_run_plans_a_scope_page_by_page(stack: Stack) -> None:
    sources = seed_fleet(stack, 7, untagged=1)
    migrated = sources[3]
    first = await stack.start(
        {"gallery": GALLERY, "images": [{"source": migrated}], "deleteSource": "never"}
    )
    await stack.finish(first)
    body = scoped(images=[{"source": image_id("web")}])
    planned: list[dict[str, Any]] = []
    pages = 0
    path = "migrations/plan?top=10"
    while True:
        answer = await stack.call("POST", path, body)
        assert answer.status == 200, answer.body
        planned += answer.body["images"]
        pages += 1
        assert answer.body["selection"]["selected"] <= 10
        token = answer.body.get("continuationToken")
        if not token:
            break
        path = f"migrations/plan?top=10&continuationToken={token}"
    assert pages == 3
    assert [i["source"] for i in planned] == [image_id("web"), *sources]
    skipped = [i["source"] for i in planned if i.get("skipped")]
    assert skipped == [migrated]
    assert all(i["definition"]["name"] for i in planned)
    bad = await stack.call("POST", "migrations/plan?continuationToken=nope&top=999", body)
    assert bad.status == 400
    assert {e["field"] for e in bad.body["errors"]} == {"continuationToken", "top"}
    assert (await stack.call("GET", "migrations")).body["count"] == 1, "a plan starts nothing"


@pytest.mark.timeout(600)
async def test_a_definition_of_45_images_is_made_once_and_one_approval_spans_its_batches(
    stack: Stack,
) -> None:
    sources = seed_fleet(stack, 12)[:45]
    body = {
        "gallery": GALLERY,
        "images": [{"source": s, "definition": {"name": "fleet"}} for s in sources],
        "targetRegions": [{"name": "eastus"}, {"name": "westus2"}],
        "approvalTimeout": "P1D",
    }
    migration_id = await stack.start(body)
    waiting = await stack.awaiting_approval(migration_id)
    # 45 images of one definition: three batches, each after the one before.
    assert waiting["batches"] == 3
    assert waiting["approval"]["undecided"] == 45
    # Decisions on named images of the first and the last batch, then on the rest.
    named = [sources[0], sources[1], sources[44]]
    approve = f"migrations/{migration_id}/approve"
    answer = await stack.call("POST", approve, {"by": "ann", "reason": "checked", "images": named})
    assert (answer.status, answer.body["images"]) == (202, 3)
    answer = await stack.call("POST", f"migrations/{migration_id}/reject", {"by": "bob"})
    assert (answer.status, answer.body["images"]) == (202, 42)
    final = await stack.finish(migration_id)
    assert final["summary"] == {"deleted": 3, "kept": 42}
    images = await every_image(stack, migration_id, "top=100")
    fate = {i["source"]: (i["phase"], i["decision"]["by"]) for i in images}
    assert {s for s, (phase, _) in fate.items() if phase == "deleted"} == set(named)
    assert all(by == ("ann" if s in named else "bob") for s, (_, by) in fate.items())
    # One definition, created once, with a version of each source, none colliding.
    made = [
        r
        for r in stack.emulator.request_log
        if r.method == "PUT" and r.operation.startswith("gallery_images.") and r.status < 300
    ]
    assert [r.path.rsplit("/", 1)[-1] for r in made] == ["fleet"]
    assert len({(i["definition"], i["version"]) for i in images}) == 45
    assert {i["definition"] for i in images} == {"fleet"}
    for source in sources:
        assert stack.image_exists(source) == (source not in named)
