"""pytest helpers: a DevHost on a VirtualClock, served on a loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from devhost.easy_auth import EasyAuth
from devhost.host import DevHost
from devhost.keys import HostKeys
from simclock import VirtualClock

#: A fixed start keeps timestamps, timer deadlines and histories identical from run to run.
DEFAULT_START = datetime(2030, 1, 1, tzinfo=UTC)

TERMINAL = ("Completed", "Failed", "Terminated", "Canceled")


@dataclass
class RunningHost:
    host: DevHost
    base_url: str
    clock: VirtualClock
    http: aiohttp.ClientSession

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    async def wait_for_status(self, status_url: str, max_timers: int = 1000) -> dict[str, Any]:
        """Advance durable timers until the instance behind ``status_url`` is done; its status."""
        last: dict[str, Any] = {}

        async def done() -> bool:
            nonlocal last
            async with self.http.get(status_url) as response:
                last = await response.json()
            return last.get("runtimeStatus") in TERMINAL

        await self.host.run_until(done, max_timers=max_timers)
        return last


@asynccontextmanager
async def running_host(
    app_dir: Path,
    *,
    clock: VirtualClock | None = None,
    state_path: Path | None = None,
    settings: Mapping[str, str] | None = None,
    function_overrides: Mapping[str, Callable[..., Any]] | None = None,
    keys: HostKeys | None = None,
    easy_auth: EasyAuth | None = None,
    activity_rerun_rate: float = 0.0,
) -> AsyncIterator[RunningHost]:
    """Serve ``app_dir`` on a VirtualClock; yields the host, its URL and an HTTP session."""
    clock = clock or VirtualClock(DEFAULT_START)
    host = DevHost(
        app_dir,
        clock=clock,
        state_path=state_path,
        settings=settings,
        function_overrides=function_overrides,
        keys=keys,
        easy_auth=easy_auth,
        activity_rerun_rate=activity_rerun_rate,
    )
    async with host.serve() as base_url, aiohttp.ClientSession() as http:
        yield RunningHost(host, base_url, clock, http)
        await asyncio.sleep(0)
