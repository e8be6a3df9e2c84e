"""`gallery-migrate local`: the stack served with sample images, or the demo migration."""

from __future__ import annotations

import asyncio
import io
import json

import aiohttp
from rich.console import Console

from devstack import samples
from emulator.testing import START
from gallery_migrate_cli import local
from gallery_migrate_cli.app import main
from gallery_migrate_cli.exits import Exit
from gallery_migrate_cli.session import Env
from simclock import VirtualClock


def env(*, as_json: bool = False) -> tuple[Env, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    made = Env(out=Console(file=out, width=200), err=Console(file=err, width=200))
    made.as_json = as_json
    return made, out, err


async def serve(made: Env, stop: asyncio.Event, ready: asyncio.Event) -> int:
    clock = VirtualClock(START)
    return await local.serve(
        made, port=0, arm_port=0, scale=60, clock=clock, stop=stop.wait(), ready=ready
    )


async def test_serve_says_where_it_listens_and_serves_the_samples_until_stopped() -> None:
    made, out, err = env()
    stop, ready = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(serve(made, stop, ready))
    await ready.wait()
    text = out.getvalue()
    assert text.rstrip().endswith("Ctrl-C stops it.")
    api = text.split("the app (devhost):")[1].split()[0]
    assert f"sample gallery:      {samples.GALLERY}" in text
    assert "web-ubuntu-2404 (eastus)" in text
    # The printed command names this port (not the default one).
    assert f"--endpoint {api.removesuffix('/api')}" in text
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{api}/migrations/plan", json=samples.request(START)) as answer,
    ):
        plan = await answer.json()
    assert plan["valid"] is True
    assert len(plan["images"]) == 3
    stop.set()
    assert await serving == Exit.OK
    assert "stopped" in err.getvalue()


async def test_serve_in_json_says_where_it_listens() -> None:
    made, out, _ = env(as_json=True)
    stop = asyncio.Event()
    stop.set()
    code = await local.serve(
        made, port=0, arm_port=0, scale=60, clock=VirtualClock(START), stop=stop.wait()
    )
    assert code == Exit.OK
    facts = json.loads(out.getvalue())
    assert facts["api"].endswith("/api")
    assert facts["gallery"] == samples.GALLERY
    assert len(facts["images"]) == 3


async def test_a_port_in_use_is_one_line() -> None:
    made, out, _ = env()
    stop, ready = asyncio.Event(), asyncio.Event()
    first = asyncio.create_task(serve(made, stop, ready))
    await ready.wait()
    api = out.getvalue().split("the app (devhost):")[1].split()[0]
    port = int(api.removesuffix("/api").rsplit(":", 1)[1])
    second, _, second_err = env()
    code = await local.serve(second, port=port, arm_port=0, scale=60, clock=VirtualClock(START))
    assert code == Exit.ERROR
    assert second_err.getvalue().startswith("error: cannot listen (")
    stop.set()
    await first


def test_the_demo_migrates_every_image_and_audits_clean() -> None:
    made, out, _ = env()
    assert main(["local", "--demo"], made) == Exit.OK
    text = out.getvalue()
    assert "valid: nothing is in the way" in text
    assert "3 of 3 source images deleted" in text
    assert "audit: every deleted image" in text


def test_without_approval_the_demo_keeps_every_image() -> None:
    made, out, _ = env()
    assert main(["local", "--demo", "--no-approve", "--json"], made) == Exit.OK
    result = json.loads(out.getvalue())
    assert result["sourcesDeleted"] == 0
    assert result["unsafeDeletes"] == []
    reasons = {image["keptReason"] for image in result["migration"]["images"]}
    assert any("no approval before the approval timeout" in r for r in reasons), reasons
