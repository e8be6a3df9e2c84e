"""``gallery-migrate local``: the local stack with sample images, served or run as the demo.

The stack is ``devstack``'s (the ARM emulator and the app on devhost, one clock) seeded with
``devstack.samples``. Serving, its clock is scaled (an hour in a minute by default) and it runs
until stopped. The demo runs on a virtual clock instead: the command line's own verbs (plan,
start, watch with approval) drive the app over HTTP from a worker thread, and each pause of the
watch moves the clock to the next durable timer, so hours of replication take seconds. Then the
emulator's own record is audited: no source was deleted without a replicated copy.
"""

from __future__ import annotations

import asyncio
import io
import signal
import time
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from devhost import DevHost
from devstack import local_stack, samples
from emulator import EmulatorConfig
from emulator.audit import unsafe_deletions
from gallery_migrate_cli import render
from gallery_migrate_cli.config import LOCAL_ENDPOINT, Target
from gallery_migrate_cli.exits import Exit
from gallery_migrate_cli.session import Env, Pause, Session
from simclock import Clock, ScaledClock, VirtualClock

SETTINGS = {"REPLICATION_POLL_MIN": "PT1M", "REPLICATION_POLL_MAX": "PT10M"}
# The demo gives up after this much simulated time (the sample request waits a day at most).
DEMO_TIMEOUT = 30 * 24 * 3600.0


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def virtual_pause(loop: asyncio.AbstractEventLoop, host: DevHost) -> Pause:
    """A pause for a watch in another thread: fire the host's next durable timer (on the loop
    that serves it) and say how much simulated time that took."""

    def pause(seconds: float) -> float:
        before = host.clock.now()
        fired = asyncio.run_coroutine_threadsafe(host.advance_to_next_timer(), loop).result()
        # With no timer left nothing will change by itself: count the time asked for, so that a
        # watch's timeout still ends it.
        return (host.clock.now() - before).total_seconds() if fired else seconds

    return pause


async def _signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    try:
        await stop.wait()
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(number)


async def serve(
    env: Env,
    *,
    port: int,
    arm_port: int,
    scale: float,
    clock: Clock | None = None,
    stop: Awaitable[Any] | None = None,
    ready: asyncio.Event | None = None,
) -> int:
    """Serve the stack until ``stop`` (default: Ctrl-C or SIGTERM); 0, or 1 if it cannot.
    ``ready`` is set once it listens and has said where."""
    clock = clock or ScaledClock(scale, start=_now())
    try:
        async with local_stack(
            clock,
            emulator_config=EmulatorConfig(seed=7),
            settings=SETTINGS,
            seed=samples.seed,
            host_port=port,
            arm_port=arm_port,
        ) as stack:
            _banner(env, stack.base_url, stack.settings["ARM_ENDPOINT"], clock, scale)
            if ready is not None:
                ready.set()
            await (stop if stop is not None else _signalled())
    except OSError as error:
        env.err.print(
            f"error: cannot listen ({error.strerror or error}): pick other ports with --port "
            "and --arm-port",
            markup=False,
            highlight=False,
        )
        return int(Exit.ERROR)
    env.err.print("stopped; its state was in memory and is gone", highlight=False)
    return int(Exit.OK)


def _banner(env: Env, base_url: str, arm_url: str, clock: Clock, scale: float) -> None:
    images = [samples.image_id(name) for name in samples.IMAGES]
    if env.as_json:
        facts = {"api": f"{base_url}/api", "arm": arm_url, "gallery": samples.GALLERY}
        Session(env, Target(api=f"{base_url}/api")).emit({**facts, "images": images})
        return
    endpoint = [] if base_url == LOCAL_ENDPOINT else ["--endpoint", base_url]
    run = Session(
        env, Target(api=f"{base_url}/api", endpoint_flag=endpoint[-1] if endpoint else None)
    )
    speed = "virtual" if clock.is_virtual else f"{scale:g} simulated seconds per second"
    lines = [
        "Gallery Migrator's local stack (nothing here reaches Azure)",
        f"  the app (devhost):   {base_url}/api",
        f"  ARM (the emulator):  {arm_url}",
        f"  clock:               {speed}, now {render.when(clock.now().isoformat())}",
        f"  sample gallery:      {samples.GALLERY}",
        "  sample images:       "
        + ", ".join(f"{name} ({shape['location']})" for name, shape in samples.IMAGES.items()),
        "Try, in another terminal:",
        "  " + run.command("plan", "--gallery", samples.GALLERY, "--image", images[0]),
        "  "
        + run.command(
            "start", "--gallery", samples.GALLERY, "--image", images[0], "--region", "westus2=2"
        )
        + " --watch",
        "  " + run.command("list"),
        "Ctrl-C stops it.",
    ]
    for line in lines:
        env.out.print(line, markup=False, highlight=False, soft_wrap=True)


async def demo(env: Env, *, approve: bool = True) -> int:
    """The demo migration on a virtual clock, through the command line's own verbs."""
    wall = time.monotonic()
    clock = VirtualClock(_now())
    async with local_stack(
        clock, emulator_config=EmulatorConfig(seed=7), settings=SETTINGS, seed=samples.seed
    ) as stack:
        pause = virtual_pause(asyncio.get_running_loop(), stack.host)
        # In --json mode the verbs' own documents are not shown: the demo prints one at the end.
        shown = env.out if not env.as_json else Console(file=io.StringIO())
        inner = replace(env, pause=pause, out=shown, as_json=False)
        run = Session(inner, Target(api=stack.api))
        body = samples.request(clock.now())
        code, final = await asyncio.to_thread(_migrate, run, body, approve)
        unsafe = unsafe_deletions(stack.emulator.events)
        calls = len(stack.emulator.request_log)
    deleted = sum(1 for image in final.get("images") or [] if image.get("sourceDeleted"))
    simulated = (
        clock.now() - datetime.fromisoformat(str(final.get("createdTime")))
    ).total_seconds()
    if env.as_json:
        Session(env, Target(api=stack.api)).emit(
            {"migration": final, "sourcesDeleted": deleted, "unsafeDeletes": unsafe}
        )
    else:
        env.out.print(
            f"{deleted} of {len(final.get('images') or [])} source images deleted, {calls} ARM "
            f"requests, {simulated / 3600:.1f} h simulated in {time.monotonic() - wall:.1f} s",
            highlight=False,
        )
        if not unsafe:
            env.out.print(
                "audit: every deleted image had a Succeeded version replicated everywhere"
            )
    if unsafe:
        env.err.print(f"unsafe deletes: {unsafe}", markup=False, highlight=False)
        return int(Exit.ERROR)
    return int(code)


def _migrate(run: Session, body: dict[str, Any], approve: bool) -> tuple[Exit, dict[str, Any]]:
    """What an operator would type: a dry run, the start, then watching (and approving)."""
    run.out.rule("gallery-migrate plan")
    code = run.plan(body)
    if code != Exit.OK:
        return code, {}
    run.out.rule("gallery-migrate start")
    _, migration_id = run.start(body)
    run.out.rule("gallery-migrate watch" + (" --approve-as demo" if approve else " --until-done"))
    code = run.watch(
        migration_id,
        interval=60,
        timeout=DEMO_TIMEOUT,
        approve_as="demo" if approve else None,
        until_done=not approve,
    )
    return code, run.last_status
