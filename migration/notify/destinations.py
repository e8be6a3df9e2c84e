"""Where notices go: webhooks named by the app's settings, one kind per setting.

A webhook URL is a secret (whoever holds a Teams Workflows or Slack webhook URL can post to the
channel), so a destination is never shown in full: statuses and logs name it by its kind, its
position in its setting and its host.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit


class DestinationKind(StrEnum):
    TEAMS = "teams"  # a Teams Workflows webhook: an Adaptive Card in a message
    SLACK = "slack"  # a Slack incoming webhook: Block Kit
    WEBHOOK = "webhook"  # any endpoint: the versioned JSON notice


class DestinationError(ValueError):
    """A destination URL the app will not post to."""


@dataclass(frozen=True)
class Destination:
    kind: DestinationKind
    index: int  # its position among the destinations of its kind (from 1)
    url: str

    @property
    def key(self) -> str:
        """How the schedule and the status refer to it: ``teams:1``."""
        return f"{self.kind.value}:{self.index}"

    @property
    def label(self) -> str:
        """A name to show: kind, position and host, never the secret path or query."""
        return f"{self.kind.value} #{self.index} ({urlsplit(self.url).hostname})"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """``url`` if the app may post to it: HTTPS, or HTTP to a loopback address (local tests)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.scheme not in ("https", "http"):
        raise DestinationError("a destination is an https:// URL")
    if parts.scheme == "http" and not _loopback(host):
        raise DestinationError(f"a destination on {host} must use https://")
    if parts.username or parts.password:
        raise DestinationError("a destination URL carries no user name or password")
    return url


def destinations(kind: DestinationKind, urls: list[str]) -> tuple[Destination, ...]:
    return tuple(Destination(kind, n, check_url(url)) for n, url in enumerate(urls, start=1))
