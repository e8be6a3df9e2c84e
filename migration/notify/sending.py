"""Delivering a notice to one destination: the HTTP answer read as delivered, worth trying
again, or refused for good (the notify orchestration retries with backoff on durable timers)."""

from __future__ import annotations

from pydantic import Field

from migration.domain.facts import Data

# A destination that does not answer within this is tried again later.
SEND_TIMEOUT_SECONDS = 10.0
# Waits before each retry of a destination that failed (1, 4, 16 and 64 minutes).
RETRY_DELAYS_SECONDS = (60.0, 240.0, 960.0, 3840.0)
# Answers that say "later": throttled, timed out, the service's own trouble.
_RETRYABLE = {408, 425, 429}


class Delivery(Data):
    key: str
    label: str
    ok: bool
    retry: bool = False
    error: str | None = None


class Deliveries(Data):
    results: list[Delivery] = Field(default_factory=list)


def read_answer(key: str, label: str, status: int, text: str) -> Delivery:
    if 200 <= status < 300:
        return Delivery(key=key, label=label, ok=True)
    detail = " ".join(text.split())[:200]
    return Delivery(
        key=key,
        label=label,
        ok=False,
        retry=status in _RETRYABLE or status >= 500,
        error=f"HTTP {status}" + (f": {detail}" if detail else ""),
    )


def unreachable(key: str, label: str, error: Exception) -> Delivery:
    # Only the error's type: its text may hold the URL, which is a secret.
    return Delivery(
        key=key, label=label, ok=False, retry=True, error=f"not reached ({type(error).__name__})"
    )
