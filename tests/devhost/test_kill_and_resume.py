"""SIGKILL the host mid-activity and start it again on the same SQLite file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import aiohttp

from tests.devhost.conftest import APPS
from tests.devhost.processes import HostProcess


async def test_kill_mid_activity_then_resume(tmp_path: Path) -> None:
    app_dir = tmp_path / "app"
    work = tmp_path / "work"
    state = tmp_path / "state" / "durability.sqlite"
    shutil.copytree(APPS / "durability", app_dir)
    work.mkdir()
    (app_dir / "local.settings.json").write_text(
        json.dumps({"Values": {"DEVHOST_TEST_WORKDIR": str(work)}})
    )
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
