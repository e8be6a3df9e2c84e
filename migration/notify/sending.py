"""Delivering a notice to one destination: the HTTP answer read as delivered, worth trying
again, or refused for good (the notify orchestration retries with backoff on durable timers),
and how deliveries show in a migration's problems (one line per destination, replaced as it
changes: by the orchestration while it runs, by the status read once the outcome's retries,
which outlive the migration, have ended)."""

from __future__ import annotations

from pydantic import Field

from migration.domain.facts import Data

# A destination that does not answer within this is tried again later.
SEND_TIMEOUT_SECONDS = 10.0
# Waits before each retry of a destination that failed (1, 4, 16 and 64 minutes).
RETRY_DELAYS_SECONDS = (60.0, 240.0, 960.0, 3840.0)
# How a problem about a destination starts, and how one still being retried ends.
PROBLEM_PREFIX = "notifications to "
RETRIED_LATER = f"(tried again for up to {round(sum(RETRY_DELAYS_SECONDS) / 60)} minutes)"
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


def with_deliveries(
    problems: list[str], results: list[Delivery], retried_later: bool = False
) -> list[str]:
    """``problems`` with each destination's line as ``results`` say: gone once delivered,
    "failed ... (tried again ...)" while retries go on elsewhere, "keep failing" once given up."""
    for delivery in results:
        line = f"{PROBLEM_PREFIX}{delivery.label} "
        problems = [p for p in problems if not p.startswith(line)]
        if not delivery.ok and retried_later and delivery.retry:
            problems.append(f"{line}failed: {delivery.error} {RETRIED_LATER}")
        elif not delivery.ok:
            problems.append(f"{line}keep failing: {delivery.error}")
    return problems


def being_retried(problems: list[str]) -> bool:
    """Whether a problem says a destination is still being tried (by the outcome's retries)."""
    return any(p.startswith(PROBLEM_PREFIX) and p.endswith(RETRIED_LATER) for p in problems)
