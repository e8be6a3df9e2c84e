"""Chat webhooks for tests: one local server playing a Teams Workflows webhook, a Slack incoming
webhook and a generic JSON endpoint, keeping every message it is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Message:
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def event(self) -> str:
        return self.headers.get("X-Gallery-Migrator-Event", "")


@dataclass
class Receiver:
    base_url: str
    messages: list[Message] = field(default_factory=list)
    # Every post, taken or not: its path, the status it was answered, the notice's id.
    tries: list[tuple[str, int, str]] = field(default_factory=list)
    # Answers to give per path, in turn (then 202, as Workflows answers).
    answers: dict[str, list[int]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def to(self, path: str, event: str | None = None) -> list[Message]:
        return [m for m in self.messages if m.path == path and (event is None or m.event == event)]

    def tried(self, path: str, notice: str | None = None) -> int:
        return sum(1 for p, _, n in self.tries if p == path and notice in (None, n))

    def fail(self, path: str, *statuses: int) -> None:
        self.answers.setdefault(path, []).extend(statuses)


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    app = web.Application()
    found = Receiver("")

    async def receive(request: web.Request) -> web.Response:
        answers = found.answers.get(request.path) or []
        status = answers.pop(0) if answers else 202
        notice = request.headers.get("X-Gallery-Migrator-Notice", "")
        found.tries.append((request.path, status, notice))
        if status < 300:
            found.messages.append(
                Message(request.path, dict(request.headers), await request.json())
            )
        return web.Response(status=status, text="" if status < 300 else "try later")

    app.router.add_post("/{tail:.*}", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    found.base_url = f"http://{host}:{port}"
    try:
        yield found
    finally:
        await runner.cleanup()
