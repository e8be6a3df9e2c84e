"""The stack with notifications on: every kind of destination pointed at a local receiver, a
public address and a link key, so that messages carry working signed links."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from devhost.easy_auth import EasyAuth
from devhost.keys import HostKeys
from emulator import EmulatorConfig
from tests.e2e.receiver import Receiver, receiver
from tests.stack import Stack, open_stack

LINK_KEY = "test-link-key-" + "k" * 32
TEAMS = "/teams/workflow"
SLACK = "/slack/hook"
JSON = "/json/hook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Told:
    stack: Stack
    inbox: Receiver

    def cards(self, event: str | None = None) -> list[dict[str, Any]]:
        """The Adaptive Cards the Teams webhook got (of one event)."""
        return [m.body["attachments"][0]["content"] for m in self.inbox.to(TEAMS, event)]

    def link(self, action: str, event: str = "approvalAwaited", index: int = -1) -> str:
        """The URL behind a card's action ("Approve…", "Reject…", "Open the migration")."""
        card = self.cards(event)[index]
        return next(str(a["url"]) for a in card["actions"] if a["title"] == action)


@asynccontextmanager
async def notifying_stack(
    keys: HostKeys | None = None, easy_auth: EasyAuth | None = None, **settings: str
) -> AsyncIterator[Told]:
    async with receiver() as inbox:
        port = free_port()
        app_settings = {
            "NOTIFY_TEAMS_WEBHOOKS": inbox.url(TEAMS),
            "NOTIFY_SLACK_WEBHOOKS": inbox.url(SLACK),
            "NOTIFY_JSON_WEBHOOKS": inbox.url(JSON),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "APPROVAL_LINK_KEY": LINK_KEY,
            **settings,
        }
        async with open_stack(
            app_settings, EmulatorConfig(), host_port=port, keys=keys, easy_auth=easy_auth
        ) as stack:
            yield Told(stack, inbox)
