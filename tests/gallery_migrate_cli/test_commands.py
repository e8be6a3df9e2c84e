"""Every verb against the local stack: what it prints, its --json and its exit code."""

from __future__ import annotations

import asyncio
import json
import shlex
from pathlib import Path
from typing import Any

from gallery_migrate_cli.config import resolve
from gallery_migrate_cli.exits import Exit
from gallery_migrate_cli.local import virtual_pause
from gallery_migrate_cli.session import Env, Session
from migration.durable.claims import claim_id
from migration.durable.jobs import batch_id, watcher_id
from tests.e2e.test_cancel import replicating
from tests.gallery_migrate_cli.conftest import Run, consoles
from tests.stack import GALLERY, Stack, image_id

WEB = image_id("web")
APP = image_id("app")
FLAGS = ("--gallery", GALLERY, "--region", "eastus", "--region", "westus2=2:Standard_ZRS")


async def test_plan_from_flags_and_its_exit_codes(cli: Run) -> None:
    ran = await cli("plan", *FLAGS, "--image", WEB)
    assert ran.code == Exit.OK, ran.err
    assert "web (new)" in ran.out
    assert "westus2 x2" in ran.out
    assert "valid: nothing is in the way" in ran.out
    partly = await cli("plan", *FLAGS, "--image", WEB, "--image", image_id("gone"), "--json")
    assert partly.code == Exit.PARTLY
    answer = partly.json()
    assert answer["valid"] is False
    assert "was not found" in answer["images"][1]["problems"][0]
    none = await cli("plan", *FLAGS, "--image", image_id("gone"))
    assert none.code == Exit.FAILED
    assert "was not found" in none.out


async def test_start_from_a_yaml_file_and_watch_with_approval(
    cli: Run, stack: Stack, tmp_path: Path
) -> None:
    request = tmp_path / "request.yaml"
    request.write_text(
        f"gallery: {GALLERY}\n"
        f"images:\n  - source: {WEB}\n  - source: {APP}\n"
        "targetRegions:\n  - name: eastus\n  - name: westus2\n    replicaCount: 2\n"
    )
    started = await cli("start", str(request), "--json")
    assert started.code == Exit.OK, started.err
    migration_id = started.json()["migrationId"]
    watched = await cli("watch", migration_id, "--approve-as", "ops", "--json")
    assert watched.code == Exit.OK, watched.err
    final = watched.json()
    assert (final["runtimeStatus"], final["outcome"]) == ("Completed", "allMigrated")
    assert final["approval"]["approved"] == 2
    assert not stack.image_exists(WEB)
    assert not stack.image_exists(APP)
    status = await cli("status", migration_id)
    assert status.code == Exit.OK
    assert "every image migrated" in status.out
    assert "2 deleted" in status.out


async def test_watch_stops_at_the_approval_with_the_commands_that_decide(
    cli: Run, stack: Stack
) -> None:
    started = await cli("start", *FLAGS, "--image", WEB, "--image", APP)
    assert started.code == Exit.OK, started.err
    migration_id = started.out.split()[1]
    assert f"gallery-migrate watch {migration_id}" in started.out
    waiting = await cli("watch", migration_id)
    assert waiting.code == Exit.AWAITING_APPROVAL, waiting.err
    lines = waiting.out.splitlines()
    assert "waiting for approval: 2 image(s) undecided" in waiting.out
    approve = next(line for line in lines if "gallery-migrate approve" in line)
    # The same endpoint as this command's, and never its key.
    assert approve.split(": ", 1)[1] == (
        f'gallery-migrate approve {migration_id} --by "$USER" --endpoint {stack.base_url}'
    )
    assert any(f'gallery-migrate reject {migration_id} --by "$USER"' in line for line in lines)
    assert (await cli("status", migration_id)).code == Exit.AWAITING_APPROVAL
    # Keep one image by its name, approve the rest: the printed command, as a person runs it.
    rejected = await cli("reject", migration_id, "--by", "ana", "--image", "app", "--reason", "no")
    assert rejected.code == Exit.OK, rejected.err
    assert "rejected: 1 image(s)" in rejected.out
    words = shlex.split(approve.split(": ", 1)[1].replace('"$USER"', "ben"))
    approved = await cli(*words[1:])
    assert approved.code == Exit.OK, approved.err
    assert (await cli("watch", migration_id)).code == Exit.OK
    assert not stack.image_exists(WEB)
    assert stack.image_exists(APP)
    again = await cli("approve", migration_id, "--by", "late")
    assert again.code == Exit.CONFLICT
    assert again.err.startswith("error: Migration ")
    assert "has ended" in again.err


async def test_exit_codes_tell_the_outcomes_apart(cli: Run, stack: Stack) -> None:
    never = ("--delete-source", "never")
    partly = await cli("start", *FLAGS, *never, "--image", WEB, "--image", image_id("gone"))
    partly_id = partly.out.split()[1]
    running = await cli("status", partly_id)
    assert running.code == Exit.RUNNING
    assert (await cli("watch", partly_id)).code == Exit.PARTLY
    none = await cli("start", *FLAGS, *never, "--image", image_id("gone"), "--watch")
    assert none.code == Exit.FAILED
    assert "no image migrated" in none.out


async def test_cancel_ends_everything_and_frees_the_source(cli: Run, stack: Stack) -> None:
    started = await cli("start", *FLAGS, "--image", WEB, "--delete-source", "afterReplication")
    migration_id = started.out.split()[1]
    await stack.until(replicating, migration_id)
    cancelled = await cli("cancel", migration_id, "--by", "ops", "--reason", "wrong regions")
    assert cancelled.code == Exit.OK, cancelled.err
    assert "ended 1 batch(es) and 1 watcher(s), released 1 claim(s)" in cancelled.out
    batch = batch_id(migration_id, 0)
    for instance in (migration_id, batch, watcher_id(batch)):
        assert stack.host.get_status(instance)["runtimeStatus"] == "Terminated"  # type: ignore[index]
    assert stack.host.get_status(claim_id(WEB))["runtimeStatus"] == "Completed"  # type: ignore[index]
    while await stack.host.advance_to_next_timer():
        pass
    assert stack.image_exists(WEB)
    status = await cli("status", migration_id, "--json")
    assert status.code == Exit.CANCELLED
    assert status.json()["error"] == "terminated: cancelled by ops: wrong regions"
    assert "stopped in replicating" in (await cli("status", migration_id)).out
    assert (await cli("watch", migration_id)).code == Exit.CANCELLED
    twice = await cli("cancel", migration_id, "--json")
    assert twice.code == Exit.CONFLICT
    assert twice.json()["error"]["kind"] == "conflict"
    # The source is free for the next migration at once.
    assert (await cli("start", *FLAGS, "--image", WEB)).code == Exit.OK


async def test_cancel_asks_a_person_first(cli: Run, stack: Stack) -> None:
    started = await cli("start", *FLAGS, "--image", WEB)
    migration_id = started.out.split()[1]
    refused = await cli("cancel", migration_id, interactive=True, answer=False)
    assert (refused.code, refused.err.strip()) == (Exit.USAGE, "aborted")
    assert stack.host.get_status(migration_id)["runtimeStatus"] == "Running"  # type: ignore[index]
    assert (await cli("cancel", migration_id, interactive=True, answer=True)).code == Exit.OK
    assert stack.host.get_status(migration_id)["runtimeStatus"] == "Terminated"  # type: ignore[index]


async def test_list_with_filters(cli: Run, stack: Stack) -> None:
    web = (await cli("start", *FLAGS, "--image", WEB, "--delete-source", "never")).out.split()[1]
    stack.clock.advance(60)
    app = (await cli("start", *FLAGS, "--image", APP)).out.split()[1]
    listed = await cli("list", "--json")
    assert listed.code == Exit.OK
    assert [m["id"] for m in listed.json()["migrations"]] == [app, web]
    by_source = await cli("list", "--source", "web", "--json")
    assert [m["id"] for m in by_source.json()["migrations"]] == [web]
    assert (await cli("list", "--gallery", "elsewhere", "--json")).json()["count"] == 0
    await cli("watch", web)
    done = await cli("list", "--status", "completed", "--since", "1h")
    assert web in done.out
    assert app not in done.out
    assert "1 migration(s)" in done.out
    future = await cli("list", "--since", "2999-01-01", "--json")
    assert future.json()["migrations"] == []
    bad = await cli("list", "--since", "soon")
    assert (bad.code, bad.err.strip()) == (
        Exit.USAGE,
        "error: --since 'soon': a date, a date and time, or 30m, 12h, 7d, 2w",
    )


async def test_a_request_the_api_refuses_names_each_field(cli: Run, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    body = {"gallery": GALLERY, "images": [{"source": "web"}], "deleteSource": "whenever"}
    request.write_text(json.dumps(body))
    ran = await cli("start", str(request))
    assert ran.code == Exit.USAGE
    lines = ran.err.splitlines()
    assert lines[0].startswith("error: images[0].source: ")
    assert {line.split(":")[0].strip() for line in lines[1:]} == {
        "images[0].source",
        "deleteSource",
    }
    as_json = await cli("plan", str(request), "--json")
    fields = {f["field"] for f in as_json.json()["error"]["fields"]}
    assert fields == {"images[0].source", "deleteSource"}


async def test_an_approval_someone_else_got_in_first_is_no_error(
    cli: Run, stack: Stack, environ: dict[str, str]
) -> None:
    migration_id = (await cli("start", *FLAGS, "--image", WEB)).out.split()[1]
    assert (await cli("watch", migration_id)).code == Exit.AWAITING_APPROVAL
    stale = await stack.status(migration_id)
    assert (await cli("reject", migration_id, "--by", "ana")).code == Exit.OK
    out, err = consoles(terminal=False)
    env = Env(out=out, err=err, pause=virtual_pause(asyncio.get_running_loop(), stack.host))
    run = Session(env, resolve(environ))
    reads = iter([stale])
    real = run.api.status

    # The watch read the status just before ana's decision was recorded.
    def status(mid: str) -> dict[str, Any]:
        return next(reads, None) or real(mid)

    run.api.status = status  # type: ignore[method-assign,assignment]
    code = await asyncio.to_thread(run.watch, migration_id, interval=60, approve_as="ben")
    assert code == Exit.OK
    assert stack.image_exists(WEB)
