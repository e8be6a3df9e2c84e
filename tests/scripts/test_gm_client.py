"""A script outside the project drives a migration through the HTTP API alone."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from devhost import DevHost
from emulator import Emulator
from migration.arm_client import clear_client_cache
from simclock import ScaledClock
from tests.stack import APP_DIR, GALLERY, image_id, seed_basics

SCRIPT = APP_DIR / "scripts" / "gm_client.py"


async def test_start_watch_approve_complete_over_http(tmp_path: Path) -> None:
    # Two processes cannot share a virtual clock, so time runs scaled: the script polls in wall
    # time, as it would against Azure.
    clock = ScaledClock(20000, start=datetime.now(UTC).replace(microsecond=0))
    emulator = Emulator(clock)
    seed_basics(emulator)
    request = {
        "gallery": GALLERY,
        "images": [{"source": image_id("web")}],
        "targetRegions": [{"name": "eastus"}, {"name": "westus2"}],
    }
    body = tmp_path / "request.json"
    body.write_text(json.dumps(request))
    clear_client_cache()
    async with emulator.serve() as arm_url:
        host = DevHost(APP_DIR, clock=clock, settings={"ARM_ENDPOINT": arm_url})
        async with host.serve() as base_url:
            # -I: isolated mode, so the script cannot import anything from this project.
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                str(SCRIPT),
                "--api",
                f"{base_url}/api",
                "start",
                str(body),
                "--approve-as",
                "ops",
                "--interval",
                "0.05",
                "--timeout",
                "60",
                cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    clear_client_cache()
    text = out.decode()
    assert process.returncode == 0, text + err.decode()
    assert text.startswith("started mig-")
    final = json.loads(text[text.index("\n{") :])
    assert final["runtimeStatus"] == "Completed"
    assert final["approval"]["by"] == "ops"
    assert final["images"][0]["phase"] == "deleted"
    assert emulator.resource(image_id("web")) is None


async def test_errors_come_back_with_their_fields(tmp_path: Path) -> None:
    clock = ScaledClock(20000)
    emulator = Emulator(clock)
    body = tmp_path / "request.json"
    body.write_text(json.dumps({"gallery": "nope", "images": []}))
    clear_client_cache()
    async with emulator.serve() as arm_url:
        host = DevHost(APP_DIR, clock=clock, settings={"ARM_ENDPOINT": arm_url})
        async with host.serve() as base_url:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                str(SCRIPT),
                "--api",
                f"{base_url}/api",
                "start",
                str(body),
                cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await asyncio.wait_for(process.communicate(), timeout=60)
    clear_client_cache()
    assert process.returncode == 2
    assert "HTTP 400" in err.decode()
    assert "  gallery:" in err.decode()
    assert "  images:" in err.decode()
