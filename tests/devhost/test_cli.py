"""`python -m devhost` on Microsoft's unmodified function-chaining sample."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import aiohttp

from tests.devhost.conftest import SAMPLES
from tests.devhost.processes import HostProcess


async def test_cli_serves_the_function_chaining_sample(tmp_path: Path) -> None:
    app_dir = tmp_path / "function_chaining"
    shutil.copytree(SAMPLES / "function_chaining", app_dir)
    host = await HostProcess.start(app_dir, tmp_path / "state.sqlite")
    try:
        base_url = await host.ready()
        # The function list, as `func start` prints it.
        await host.wait_for(
            re.escape(f"http_start: [GET,POST] {base_url}/api/orchestrators/{{functionName}}")
        )
        await host.wait_for(r"my_orchestrator: orchestrationTrigger")
        await host.wait_for(r"say_hello: activityTrigger")
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base_url}/api/orchestrators/my_orchestrator") as response:
                assert response.status == 202
                started = await response.json()
            await host.wait_for(rf"orchestration {started['id']} \(my_orchestrator\) Completed")
            async with http.get(started["statusQueryGetUri"]) as response:
                assert response.status == 200
                final = await response.json()
    finally:
        await host.stop()
    assert final["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]
    assert host.process.returncode == 0
    assert (tmp_path / "state.sqlite").exists()
