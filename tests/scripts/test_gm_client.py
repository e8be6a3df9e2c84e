"""A script outside the project drives a migration through the HTTP API alone."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devstack import APP_DIR, local_stack
from simclock import ScaledClock
from tests.stack import GALLERY, image_id, seed_basics

SCRIPT = APP_DIR / "scripts" / "gm_client.py"


async def run_script(api: str, *args: str, cwd: Path) -> tuple[int, str, str]:
    # -I: isolated mode, so the script cannot import anything from this project.
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        str(SCRIPT),
        "--api",
        api,
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    return int(process.returncode or 0), out.decode(), err.decode()


def write(path: Path, body: dict[str, Any]) -> str:
    path.write_text(json.dumps(body))
    return str(path)


async def test_start_watch_approve_complete_over_http(tmp_path: Path) -> None:
    # Two processes cannot share a virtual clock, so time runs scaled: the script polls in wall
    # time, as it would against Azure.
    clock = ScaledClock(20000, start=datetime.now(UTC).replace(microsecond=0))
    request = {
        "gallery": GALLERY,
        "images": [{"source": image_id("web")}],
        "targetRegions": [{"name": "eastus"}, {"name": "westus2"}],
    }
    async with local_stack(clock, seed=seed_basics) as stack:
        code, out, err = await run_script(
            stack.api,
            "start",
            write(tmp_path / "request.json", request),
            "--approve-as",
            "ops",
            "--interval",
            "0.05",
            "--timeout",
            "60",
            cwd=tmp_path,
        )
        image_left = stack.emulator.resource(image_id("web"))
    assert code == 0, out + err
    assert out.startswith("started mig-")
    final = json.loads(out[out.index("\n{") :])
    assert final["runtimeStatus"] == "Completed"
    assert final["approval"]["by"] == "ops"
    assert final["images"][0]["phase"] == "deleted"
    assert image_left is None


async def test_errors_come_back_with_their_fields(tmp_path: Path) -> None:
    async with local_stack(ScaledClock(20000)) as stack:
        code, _, err = await run_script(
            stack.api,
            "start",
            write(tmp_path / "request.json", {"gallery": "nope", "images": []}),
            cwd=tmp_path,
        )
    assert code == 2
    assert "HTTP 400" in err
    assert "  gallery:" in err
    assert "  images:" in err
