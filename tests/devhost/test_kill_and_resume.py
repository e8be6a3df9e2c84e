"""SIGKILL the host mid-activity or mid-entity-batch and start it again on the same SQLite file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import aiohttp

from tests.devhost.conftest import APPS
from tests.devhost.processes import HostProcess


def prepare(tmp_path: Path, app: str) -> tuple[Path, Path, Path]:
    """A copy of ``app`` whose steps hold on files in a work folder; (app, work, state file)."""
    app_dir = tmp_path / "app"
    work = tmp_path / "work"
    shutil.copytree(APPS / app, app_dir)
    work.mkdir()
    (app_dir / "local.settings.json").write_text(
        json.dumps({"Values": {"DEVHOST_TEST_WORKDIR": str(work)}})
    )
    return app_dir, work, tmp_path / "state" / f"{app}.sqlite"


async def test_kill_mid_activity_then_resume(tmp_path: Path) -> None:
    app_dir, work, state = prepare(tmp_path, "durability")
    (work / "hold-b").touch()

    first = await HostProcess.start(app_dir, state)
    try:
        base_url = await first.ready()
        async with aiohttp.ClientSession() as http, http.post(f"{base_url}/api/start") as response:
            assert response.status == 202
        await first.wait_for("STEP-STARTED b")
    finally:
        await first.stop(kill=True)
    assert first.process.returncode == -9
    # Function logs carry the function name and the instance id.
    assert any("Functions.step (pipeline-1): running step a" in line for line in first.lines)

    (work / "hold-b").unlink()
    second = await HostProcess.start(app_dir, state)
    try:
        base_url = await second.ready()
        await second.wait_for(r"orchestration pipeline-1 \(pipeline\) Completed")
        status_url = f"{base_url}/runtime/webhooks/durabletask/instances/pipeline-1"
        async with aiohttp.ClientSession() as http:
            async with http.get(status_url + "?showHistory=true") as response:
                final = await response.json()
            async with http.get(f"{base_url}/_devhost/stats/pipeline-1") as response:
                stats = await response.json()
    finally:
        await second.stop()

    assert final["runtimeStatus"] == "Completed"
    assert final["output"] == ["A", "B", "C"]
    # The step that was running when the host died ran again (at-least-once); none completed twice.
    assert (work / "runs.log").read_text().split() == ["a", "b", "b", "c"]
    kinds = [event["EventType"] for event in final["historyEvents"]]
    assert kinds.count("TaskCompleted") == 3
    assert stats["replays"] == 4


async def test_kill_mid_entity_batch_then_resume(tmp_path: Path) -> None:
    app_dir, work, state = prepare(tmp_path, "entity_durability")
    (work / "hold-2").touch()
    signal_url = "/runtime/webhooks/durabletask/entities/Tally/t?op=add"

    first = await HostProcess.start(app_dir, state)
    try:
        base_url = await first.ready()
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base_url}/api/start") as response:
                assert response.status == 202
            await first.wait_for("OPERATION-STARTED 2")
            # A client's signal, committed while the batch runs: it must survive the kill.
            async with http.post(base_url + signal_url, json="10") as response:
                assert response.status == 202
    finally:
        await first.stop(kill=True)
    assert first.process.returncode == -9

    (work / "hold-2").unlink()
    second = await HostProcess.start(app_dir, state)
    try:
        base_url = await second.ready()
        await second.wait_for(r"orchestration tally-1 \(tally_up\) Completed")
        api = f"{base_url}/runtime/webhooks/durabletask"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{api}/instances/tally-1") as response:
                final = await response.json()
            async with http.get(f"{api}/entities/Tally/t") as response:
                tally = await response.json()
    finally:
        await second.stop()

    # The batch that was running when the host died ran again on the state before it: its
    # operation ran twice in user code but counted once; the signal queued behind it ran after it
    # and before the orchestration's next call.
    assert (work / "runs.log").read_text().split() == ["1", "2", "2", "10", "3"]
    assert final["output"] == [1, 3, 16]
    assert tally == 16
