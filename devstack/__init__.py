"""The local stack in one process: the app on devhost, the ARM emulator, one clock (dev tools).

The demo, the benchmarks and the end-to-end tests all open it here, so that they run the app
exactly the same way: unchanged, with ``ARM_ENDPOINT`` pointing at the emulator.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost import DevHost
from devhost.easy_auth import EasyAuth
from devhost.keys import HostKeys
from emulator import Emulator, EmulatorConfig
from migration.arm.client import clear_client_cache
from simclock import Clock, VirtualClock

APP_DIR = Path(__file__).resolve().parents[1]


@dataclass
class LocalStack:
    clock: Clock
    emulator: Emulator
    host: DevHost
    base_url: str
    settings: dict[str, str]

    @property
    def api(self) -> str:
        return f"{self.base_url}/api"


@asynccontextmanager
async def local_stack(
    clock: Clock,
    *,
    emulator_config: EmulatorConfig | None = None,
    settings: Mapping[str, str] | None = None,
    seed: Callable[[Emulator], None] | None = None,
    host_port: int = 0,
    arm_port: int = 0,
    function_overrides: Mapping[str, Callable[..., Any]] | None = None,
    keys: HostKeys | None = None,
    easy_auth: EasyAuth | None = None,
) -> AsyncIterator[LocalStack]:
    """Serve the emulator and the app on loopback ports, sharing ``clock`` (with ``keys``, the
    host enforces auth levels; with ``easy_auth``, it plays App Service Authentication)."""
    emulator = Emulator(clock, emulator_config)
    if seed is not None:
        seed(emulator)
    # Clients are cached per endpoint; a new emulator port must not meet an old client.
    clear_client_cache()
    try:
        async with emulator.serve(port=arm_port) as arm_url:
            app_settings = {"ARM_ENDPOINT": arm_url, **(settings or {})}
            host = DevHost(
                APP_DIR,
                clock=clock,
                settings=app_settings,
                function_overrides=function_overrides,
                keys=keys,
                easy_auth=easy_auth,
            )
            async with host.serve(port=host_port) as base_url:
                yield LocalStack(clock, emulator, host, base_url, app_settings)
    finally:
        clear_client_cache()


async def run_until(
    host: DevHost,
    emulator: Emulator,
    clock: VirtualClock,
    predicate: Callable[[], bool | Awaitable[bool]],
    *,
    max_steps: int = 100_000,
) -> None:
    """Move ``clock`` to whichever comes first, a durable timer or something the emulator has
    due (a region completing, a delayed Event Grid delivery), until ``predicate()`` holds.

    ``DevHost.run_until`` jumps from timer to timer, and the emulator is lazy: what happens
    between two timers (a version succeeding, the event Azure sends for it) would only be seen
    at the next one. Stopping at the emulator's instants too lets an event arrive when Azure
    would send it, so that what reacts to events is measured as it would behave."""
    for _ in range(max_steps):
        await host.run_until_idle()
        await emulator.drain_deliveries()
        await host.run_until_idle()
        verdict = predicate()
        if await verdict if inspect.isawaitable(verdict) else verdict:
            return
        due = [t for t in (host.engine.next_timer(), emulator.next_due()) if t is not None]
        if not due:
            raise RuntimeError("run_until: nothing is due and the predicate is false")
        clock.advance_to(max(min(due), clock.now()))
        emulator.settle()
    raise RuntimeError(f"run_until: predicate still false after {max_steps} steps")
