"""The local stack in one process: the app on devhost, the ARM emulator, one clock (dev tools).

The demo, the benchmarks and the end-to-end tests all open it here, so that they run the app
exactly the same way: unchanged, with ``ARM_ENDPOINT`` pointing at the emulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost import DevHost
from devhost.easy_auth import EasyAuth
from devhost.keys import HostKeys
from emulator import Emulator, EmulatorConfig
from migration.arm.client import clear_client_cache
from simclock import Clock

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
