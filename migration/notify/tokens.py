"""Signed approve and reject links: a token bound to one migration, one decision, one round of
notices and the approval's deadline, signed with HMAC-SHA256 and a key from the app's settings.

A token is ``v1.<payload>.<signature>``, both parts URL-safe Base64 without padding; the payload
is compact JSON ``{"m": migration id, "d": "approve" | "reject", "r": round, "e": deadline}`` and
the signature covers the version and the payload text exactly as sent (so no re-encoding can
make two payloads share a signature). A token proves only that the app made it; whether it may
still decide is the migration's to say (its approval still waits, the deadline is this
approval's, no link of its round or a later one was used), which the decision page asks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

VERSION = "v1"
# Domain separation: the same key also signs the decision page's anti-forgery tokens.
_PURPOSE = b"gallery-migrator/approval-link/"
_CSRF_PURPOSE = b"gallery-migrator/decision-form/"
# Tokens longer than this are not read at all (a real one is about 200 characters).
MAX_TOKEN_CHARS = 1024


class LinkDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class TokenError(ValueError):
    """A token the app did not make, or made for something else."""


@dataclass(frozen=True)
class LinkClaims:
    migration_id: str
    decision: LinkDecision
    round: int
    deadline: datetime

    @property
    def approved(self) -> bool:
        return self.decision == LinkDecision.APPROVE


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii() or "=" in text:
        raise TokenError("not a token")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("not a token") from None


def _mac(key: bytes, purpose: bytes, message: str) -> bytes:
    return hmac.new(key, purpose + message.encode("ascii"), hashlib.sha256).digest()


def sign(key: bytes, claims: LinkClaims) -> str:
    payload = {
        "m": claims.migration_id,
        "d": claims.decision.value,
        "r": claims.round,
        "e": claims.deadline.isoformat(),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signed = f"{VERSION}.{body}"
    return f"{signed}.{_b64(_mac(key, _PURPOSE, signed))}"


def verify(key: bytes, token: str) -> LinkClaims:
    """The claims of a token this key signed; :class:`TokenError` for anything else."""
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenError("not a token")
    version, _, rest = token.partition(".")
    body, _, signature = rest.partition(".")
    if version != VERSION or not body or not signature:
        raise TokenError("not a token of this app")
    expected = _mac(key, _PURPOSE, f"{version}.{body}")
    # Compared in constant time, before the payload is even decoded.
    if not hmac.compare_digest(expected, _unb64(signature)):
        raise TokenError("the link's signature does not match: it was altered or not made here")
    try:
        payload: Any = json.loads(_unb64(body))
        claims = LinkClaims(
            migration_id=str(payload["m"]),
            decision=LinkDecision(payload["d"]),
            round=int(payload["r"]),
            deadline=datetime.fromisoformat(payload["e"]),
        )
    except (KeyError, TypeError, ValueError):
        raise TokenError("not a token of this app") from None
    if claims.deadline.tzinfo is None:
        raise TokenError("not a token of this app")
    return claims


def form_token(key: bytes, link_token: str, cookie: str) -> str:
    """The decision form's anti-forgery value: bound to the link and to the browser's cookie
    (a signed double-submit: a page elsewhere can neither read the cookie nor compute this)."""
    return _b64(_mac(key, _CSRF_PURPOSE, f"{link_token}|{cookie}"))


def form_token_matches(key: bytes, link_token: str, cookie: str, value: str) -> bool:
    if not cookie or not value or not value.isascii() or not cookie.isascii():
        return False
    return hmac.compare_digest(form_token(key, link_token, cookie), value)


# -- where links lead ----------------------------------------------------------------------------

# host.json's extensions.http.routePrefix.
ROUTE_PREFIX = "api"
DECISION_ROUTE = "approvals/{token}"
STATUS_PAGE_ROUTE = "migrations/{id}/page"


def decision_url(base_url: str, token: str) -> str:
    return f"{base_url}/{ROUTE_PREFIX}/" + DECISION_ROUTE.format(token=token)


def status_page_url(base_url: str, migration_id: str) -> str:
    return f"{base_url}/{ROUTE_PREFIX}/" + STATUS_PAGE_ROUTE.format(id=migration_id)
