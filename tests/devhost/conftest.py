from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from devhost.testing import RunningHost, running_host

APPS = Path(__file__).parent / "apps"
SAMPLES = APPS / "samples"


@pytest.fixture
async def patterns() -> AsyncIterator[RunningHost]:
    async with running_host(APPS / "patterns") as running:
        yield running


async def start(
    running: RunningHost, name: str, payload: Any = None, instance_id: str | None = None
) -> dict[str, Any]:
    """Start ``name`` through the app's own HTTP starter; the check-status payload."""
    path = f"api/start/{name}" + (f"/{instance_id}" if instance_id else "")
    async with running.http.post(running.url(path), json=payload) as response:
        assert response.status == 202, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def status(running: RunningHost, instance_id: str, query: str = "") -> tuple[int, Any]:
    url = running.url(f"runtime/webhooks/durabletask/instances/{instance_id}") + query
    async with running.http.get(url) as response:
        text = await response.text()
        return response.status, (await response.json() if text else None)
