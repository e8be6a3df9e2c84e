"""The chaos stack: the emulator in this process, the app on ``python -m devhost`` in another.

Both keep one simulated time through a shared clock file (a scaled clock: ``--time-scale``
simulated seconds per wall second), so that a devhost killed with SIGKILL and started again on
its SQLite state resumes on the emulator's time, which never stopped (docs/devhost.md, "Time
across restarts"). The host listens on one fixed port for its whole life, so that the
emulator's Event Grid subscription reaches every incarnation of it, and a host that is down
makes deliveries fail and be retried, as Event Grid retries an endpoint that is away.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import aiohttp

from devstack import APP_DIR
from emulator import Emulator, EmulatorConfig
from migration.durable.jobs import MIGRATION_PREFIX
from simclock import Clock, open_clock

READY = re.compile(rb"devhost listening on (http://\S+)")
# How long a host may take to start (imports, recovery of its state) on a busy machine.
START_LIMIT = 180.0
# Connection errors: the host is down (killed, or not up yet); the call waits and tries again.
DOWN = (aiohttp.ClientConnectionError, asyncio.TimeoutError, ConnectionError)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class HostProcess:
    """``python -m devhost`` for the app, on ``state`` and the shared clock file, restartable."""

    def __init__(
        self,
        *,
        state: Path,
        clock_file: Path,
        scale: float,
        port: int,
        clock: Clock,
        settings: Mapping[str, str],
        logs: Path,
        rerun_rate: float,
    ) -> None:
        self.state = state
        self.clock_file = clock_file
        self.scale = scale
        self.port = port
        self.clock = clock
        self.settings = dict(settings)
        self.logs = logs
        self.rerun_rate = rerun_rate
        self.process: asyncio.subprocess.Process | None = None
        self.lives = 0
        self.kills = 0
        self.up = asyncio.Event()
        # When the host was down, in simulated time: (killed, listening again).
        self.downtimes: list[tuple[datetime, datetime]] = []
        self._down_since: datetime | None = None
        self.base_url = f"http://127.0.0.1:{port}"

    @property
    def log_files(self) -> list[Path]:
        return [self.logs / f"devhost-{n:03d}.log" for n in range(1, self.lives + 1)]

    async def start(self) -> float:
        """Start the host and wait until it listens; the wall seconds that took."""
        began = time.perf_counter()
        self.lives += 1
        log_path = self.log_files[-1]
        with _log_file(log_path) as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "devhost",
                *("--app-dir", str(APP_DIR), "--port", str(self.port)),
                *("--state", str(self.state), "--clock", str(self.clock_file)),
                *("--time-scale", f"{self.scale:g}", "--rerun-activities", str(self.rerun_rate)),
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=_die_with_parent,
                env={**os.environ, **self.settings, "PYTHONUNBUFFERED": "1"},
            )
        while not READY.search(log_path.read_bytes()[:4096]):
            if self.process.returncode is not None:
                tail = log_path.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"devhost exited with {self.process.returncode}:\n{tail}")
            if time.perf_counter() - began > START_LIMIT:
                raise RuntimeError(f"devhost did not listen within {START_LIMIT:.0f} s")
            await asyncio.sleep(0.05)
        if self._down_since is not None:
            self.downtimes.append((self._down_since, self.clock.now()))
            self._down_since = None
        self.up.set()
        return time.perf_counter() - began

    async def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye; whatever was in flight is lost or re-run."""
        self.up.clear()
        if self.process is not None and self.process.returncode is None:
            self._down_since = self.clock.now()
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
            self.kills += 1

    async def stop(self) -> None:
        self.up.clear()
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def check_alive(self) -> None:
        """A host that should be up but has exited by itself crashed: the run cannot go on."""
        if self.up.is_set() and self.process is not None and self.process.returncode is not None:
            tail = self.log_files[-1].read_text(errors="replace")[-3000:]
            raise RuntimeError(f"devhost exited with {self.process.returncode}:\n{tail}")

    def count_in_logs(self, text: bytes) -> int:
        return sum(path.read_bytes().count(text) for path in self.log_files if path.exists())


def _log_file(path: Path) -> BinaryIO:
    return open(path, "wb")


def _die_with_parent() -> None:
    """In the child, before exec: SIGKILL it when the bench dies, however it dies (Linux)."""
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


PR_SET_PDEATHSIG = 1


@dataclass
class Answer:
    status: int
    body: Any


class Lost(Exception):
    """The host died while answering: whether the call took effect is not known."""


@dataclass
class World:
    clock: Clock
    emulator: Emulator
    arm_url: str
    host: HostProcess
    http: aiohttp.ClientSession

    @property
    def api(self) -> str:
        return f"{self.host.base_url}/api"

    async def call(self, method: str, path: str, body: Any = None) -> Answer:
        """An API call. Reads wait for the host and try again; a write whose answer is lost
        raises :class:`Lost` (sending it again could do it twice)."""
        url = f"{self.api}/{path}"
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"}
        while True:
            await self.host.up.wait()
            try:
                async with self.http.request(method, url, data=data, headers=headers) as r:
                    text = await r.text()
                    payload = json.loads(text) if text.startswith(("{", "[")) else text
                    if r.status >= 500 and not self.host.up.is_set():
                        raise Lost(f"{method} {path}: {r.status} while the host went down")
                    return Answer(r.status, payload)
            except DOWN as error:
                self.host.check_alive()
                if method != "GET":
                    raise Lost(f"{method} {path}: {error!r}") from error
                await asyncio.sleep(0.1)

    async def migrations_since(self, since: datetime) -> list[dict[str, Any]]:
        """Every migration created since ``since``, with its runtime and custom status."""
        stamp = since.isoformat().replace("+00:00", "Z")
        query = f"?instanceIdPrefix={MIGRATION_PREFIX}&createdTimeFrom={stamp}&top=1000"
        found = await self._durable("", query)
        return found if isinstance(found, list) else []

    async def durable_input(self, instance_id: str) -> dict[str, Any]:
        """The input the instance was started with (a migration's: its request, as validated)."""
        found = await self._durable(instance_id, "?showInput=true")
        raw = (found or {}).get("input")
        value = json.loads(raw) if isinstance(raw, str) else raw
        return value if isinstance(value, dict) else {}

    async def _durable(self, instance_id: str, query: str) -> Any:
        url = f"{self.host.base_url}/runtime/webhooks/durabletask/instances/{instance_id}{query}"
        while True:
            await self.host.up.wait()
            try:
                async with self.http.get(url) as response:
                    if response.status == 404:
                        return None
                    return await response.json()
            except DOWN:
                self.host.check_alive()
                await asyncio.sleep(0.1)

    async def arm(self, method: str, resource: str, body: Any) -> int:
        """A raw ARM call to the emulator, as another tool (or a person) would make it."""
        version = "2026-04-01" if "/Microsoft.Compute/images/" in resource else "2026-03-03"
        url = f"{self.arm_url}{resource}?api-version={version}"
        headers = {"Authorization": "Bearer someone-else"}
        async with self.http.request(method, url, json=body, headers=headers) as response:
            return response.status


@asynccontextmanager
async def world(
    workdir: Path,
    *,
    scale: float,
    config: EmulatorConfig,
    settings: Mapping[str, str],
    rerun_rate: float,
) -> AsyncIterator[World]:
    """The emulator serving here, the app's host started, both on ``workdir/clock.json``."""
    clock_file = _prepare(workdir)
    clock = open_clock(clock_file, scale)
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/runtime/webhooks/eventgrid?functionName=on_image_written"
    emulator = Emulator(clock, _with_webhook(config, webhook))
    async with emulator.serve() as arm_url, aiohttp.ClientSession() as http:
        host = HostProcess(
            state=workdir / "devhost.sqlite",
            clock_file=clock_file,
            scale=scale,
            port=port,
            clock=clock,
            settings={"ARM_ENDPOINT": arm_url, **settings},
            logs=workdir,
            rerun_rate=rerun_rate,
        )
        await host.start()
        try:
            yield World(clock, emulator, arm_url, host, http)
        finally:
            with suppress(Exception):
                await host.stop()


def _prepare(workdir: Path) -> Path:
    """The work folder made; the clock file's path in it."""
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir / "clock.json"


def _with_webhook(config: EmulatorConfig, webhook: str) -> EmulatorConfig:
    subscriptions = [s.model_copy(update={"endpoint": webhook}) for s in config.event_subscriptions]
    return config.model_copy(update={"event_subscriptions": tuple(subscriptions)})
