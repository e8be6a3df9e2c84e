"""A webhook that receives Event Grid deliveries, for the emulator's Event Grid tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

PATH = "/runtime/webhooks/eventgrid"


@dataclass
class Received:
    headers: dict[str, str]
    body: Any

    @property
    def events(self) -> list[dict[str, Any]]:
        """The events delivered: an Event Grid array, or one CloudEvent."""
        return self.body if isinstance(self.body, list) else [self.body]


@asynccontextmanager
async def webhook(
    statuses: list[int] | None = None,
) -> AsyncIterator[tuple[str, asyncio.Queue[Received]]]:
    """A webhook answering with ``statuses`` in turn (then 200), queueing what it receives.

    Its URL takes any ``functionName`` query, so several subscriptions may share it."""
    queue: asyncio.Queue[Received] = asyncio.Queue()
    answers = list(statuses or [])

    async def receive(request: web.Request) -> web.Response:
        await queue.put(Received(dict(request.headers), await request.json()))
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post(PATH, receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}{PATH}?functionName=on_image_written", queue
    finally:
        await runner.cleanup()


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    async def poll() -> None:
        # The deliveries are recorded by the emulator's own tasks; nothing here to wait on.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), seconds)


def drained(queue: asyncio.Queue[Received]) -> list[Received]:
    """Everything received so far."""
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items
