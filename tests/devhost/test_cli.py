"""`python -m devhost` on Microsoft's unmodified function-chaining sample."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import aiohttp
import pytest

from devhost.cli import parse_args
from tests.devhost.conftest import APPS, SAMPLES
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


async def test_cli_enforces_keys_and_easy_auth(tmp_path: Path) -> None:
    app_dir, secrets = tmp_path / "auth", tmp_path / "secrets"
    shutil.copytree(APPS / "auth", app_dir)
    principal = tmp_path / "principal.json"
    principal.write_text(json.dumps({"userId": "u1", "name": "ann@example.com"}))
    state = tmp_path / "state.sqlite"
    missing = await HostProcess.start(app_dir, state, "--keys", str(secrets))
    assert await missing.exited() == 2
    assert any("host.json does not exist" in line for line in missing.lines)

    args = ["--keys", str(secrets), "--generate-keys", "--easy-auth", str(principal)]
    host = await HostProcess.start(app_dir, state, *args)
    try:
        base_url = await host.ready()
        await host.wait_for(re.escape(f"keys: {secrets} (auth levels enforced)"))
        host_key = json.loads((secrets / "host.json").read_text())["functionKeys"][0]["value"]
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base_url}/api/guarded") as response:
                assert response.status == 401
            async with http.get(f"{base_url}/api/guarded?code={host_key}") as response:
                assert (response.status, await response.text()) == (200, "function level")
            async with http.get(f"{base_url}/api/open") as response:
                seen = await response.json()
    finally:
        await host.stop()
    assert seen["x-ms-client-principal-name"] == "ann@example.com"


def test_generate_keys_needs_a_folder() -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--app-dir", ".", "--generate-keys"])
    assert exit_info.value.code == 2
