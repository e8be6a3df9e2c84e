"""The whole stack in one process: the app on devhost, the ARM emulator, one virtual clock.

End-to-end and orchestrator tests open it through their conftest fixtures."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from devhost import DevHost
from devhost.easy_auth import EasyAuth
from devhost.keys import HostKeys
from devstack import APP_DIR, local_stack
from emulator import Emulator, EmulatorConfig
from emulator.audit import assert_sources_safely_deleted
from emulator.testing import START, SUBSCRIPTION
from simclock import VirtualClock

__all__ = ["APP_DIR"]
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups"
GALLERY = f"{RG}/gallery-rg/providers/Microsoft.Compute/galleries/gal"
TERMINAL = {"Completed", "Failed", "Terminated"}


def image_id(name: str, rg: str = "images-rg") -> str:
    return f"{RG}/{rg}/providers/Microsoft.Compute/images/{name}"


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]
    content_type: str


@dataclass
class Stack:
    clock: VirtualClock
    emulator: Emulator
    host: DevHost
    base_url: str
    http: aiohttp.ClientSession
    settings: dict[str, str] = field(default_factory=dict)
    # A function key the API calls carry (when the host enforces keys).
    key: str | None = None

    @property
    def api(self) -> str:
        return f"{self.base_url}/api"

    async def call(
        self, method: str, path: str, body: Any = None, raw: bytes | None = None
    ) -> Answer:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"Content-Type": "application/json"}
        if self.key is not None:
            headers["x-functions-key"] = self.key
        async with self.http.request(method, f"{self.api}/{path}", data=data, headers=headers) as r:
            text = await r.text()
            try:
                payload = json.loads(text) if text else None
            except ValueError:
                payload = text
            return Answer(r.status, payload, dict(r.headers), r.content_type)

    async def start(self, body: dict[str, Any]) -> str:
        answer = await self.call("POST", "migrations", body)
        assert answer.status == 202, answer.body
        return str(answer.body["migrationId"])

    async def status(self, migration_id: str) -> dict[str, Any]:
        answer = await self.call("GET", f"migrations/{migration_id}")
        assert answer.status == 200, answer.body
        return dict(answer.body)

    async def until(
        self, check: Callable[[dict[str, Any]], bool], migration_id: str, max_timers: int = 2000
    ) -> dict[str, Any]:
        """Fire durable timers one by one until ``check(status)`` holds; the status then."""
        last: dict[str, Any] = {}

        async def holds() -> bool:
            nonlocal last
            last = await self.status(migration_id)
            return check(last)

        await self.host.run_until(holds, max_timers=max_timers)
        return last

    async def finish(self, migration_id: str) -> dict[str, Any]:
        status = await self.until(lambda s: s["runtimeStatus"] in TERMINAL, migration_id)
        assert_sources_safely_deleted(self.emulator)
        return status

    async def awaiting_approval(self, migration_id: str) -> dict[str, Any]:
        return await self.until(
            lambda s: s["awaitingApproval"] or s["runtimeStatus"] in TERMINAL, migration_id
        )

    async def arm(
        self, method: str, resource: str, body: Any = None, api_version: str | None = None
    ) -> int:
        """A raw ARM call to the emulator, as another tool (or a person) would make it; by
        default at the api-versions azure-mgmt-compute 39 sends (images on the compute API's)."""
        version = api_version or (
            "2026-04-01" if "/Microsoft.Compute/images/" in resource else "2026-03-03"
        )
        url = f"{self.settings['ARM_ENDPOINT']}{resource}?api-version={version}"
        headers = {"Authorization": "Bearer someone-else"}
        async with self.http.request(method, url, json=body, headers=headers) as response:
            return response.status

    def image_exists(self, source: str) -> bool:
        return self.emulator.resource(source) is not None


def seed_basics(emulator: Emulator) -> None:
    emulator.seed_gallery(GALLERY, location="eastus")
    emulator.seed_image(
        image_id("web"), location="eastus", os_type="Linux", hyper_v_generation="V2"
    )
    emulator.seed_image(
        image_id("app"),
        location="eastus",
        os_type="Windows",
        hyper_v_generation="V1",
        os_disk_gb=127,
    )


StackFactory = Callable[..., Awaitable[Stack]]


@asynccontextmanager
async def open_stack(
    app_settings: dict[str, str],
    emulator_config: EmulatorConfig,
    host_port: int = 0,
    function_overrides: dict[str, Callable[..., Any]] | None = None,
    keys: HostKeys | None = None,
    easy_auth: EasyAuth | None = None,
) -> AsyncIterator[Stack]:
    clock = VirtualClock(START)
    settings = {"REPLICATION_POLL_MIN": "PT1M", "REPLICATION_POLL_MAX": "PT15M", **app_settings}
    async with (
        local_stack(
            clock,
            emulator_config=emulator_config,
            settings=settings,
            seed=seed_basics,
            host_port=host_port,
            function_overrides=function_overrides,
            keys=keys,
            easy_auth=easy_auth,
        ) as opened,
        aiohttp.ClientSession() as http,
    ):
        key = next(iter(keys.function_keys.values())) if keys is not None else None
        yield Stack(
            clock, opened.emulator, opened.host, opened.base_url, http, opened.settings, key
        )
