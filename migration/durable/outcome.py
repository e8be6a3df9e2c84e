"""What an activity hands back: a value, or an error with whether (and when) to try again.

Activities never raise for an expected failure: an exception reaching an orchestrator loses its
type, and a failed task inside a fan-out would fail the whole fan-out. An :class:`Outcome` keeps
one image's failure from sinking the others and lets the orchestrator wait on a durable timer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceResponseError,
)

from migration.arm import quota
from migration.arm.errors import ArmError, Throttled
from migration.arm.retry import TRANSIENT_WAIT
from migration.domain.facts import Data

log = logging.getLogger(__name__)


class OutcomeError(Data):
    code: str
    message: str
    status: int = 0


class Outcome(Data):
    ok: bool
    value: Any = None
    error: OutcomeError | None = None
    retry_after: float | None = None
    # ARM refused for load, not for the request: worth waiting for longer than other failures;
    # and which of its buckets refused (reads, writes, deletes).
    throttled: bool = False
    throttled_kind: str | None = None
    # What ARM said was left of its buckets while the activity ran, by "subscription|kind"
    # (``migration.arm.quota``): the least each showed.
    remaining: dict[str, int] | None = None

    @classmethod
    def failure(cls, code: str, message: str, retry_after: float | None = None) -> Outcome:
        error = OutcomeError(code=code, message=message)
        return cls(ok=False, error=error, retry_after=retry_after)

    @property
    def message(self) -> str:
        return self.error.message if self.error else ""

    @property
    def code(self) -> str:
        return self.error.code if self.error else ""


def capture(action: Callable[[], Any]) -> dict[str, Any]:
    """Run ``action`` and describe how it went, as JSON an orchestrator can read, with what ARM
    said was left of its buckets (when this is the outermost capture)."""
    with quota.collecting() as remaining:
        outcome = _run(action)
    if remaining is not None and remaining.least:
        outcome["remaining"] = dict(remaining.least)
    return outcome


def _run(action: Callable[[], Any]) -> dict[str, Any]:
    try:
        return Outcome(ok=True, value=action()).to_json()
    except ArmError as error:
        retry_after = error.retry_after
        if retry_after is None and error.status >= 500:
            retry_after = TRANSIENT_WAIT
        return _failed(
            error.code or "ArmError",
            error.message,
            error.status,
            retry_after,
            throttled=isinstance(error, Throttled),
            kind=error.kind if isinstance(error, Throttled) else None,
        )
    except (ServiceRequestError, ServiceResponseError, ClientAuthenticationError) as error:
        # The network, or getting a token (a managed identity endpoint hiccup): both pass.
        log.warning("transient failure: %s", error)
        return _failed("Transient", str(error), 0, TRANSIENT_WAIT)
    except AzureError as error:
        return _failed(type(error).__name__, str(error), 0, None)
    except Exception as error:
        # A bug must not look like ARM's refusal, nor take the other images down with it.
        log.exception("unexpected failure")
        return _failed("Unexpected", f"{type(error).__name__}: {error}", 0, None)


def _failed(
    code: str,
    message: str,
    status: int,
    retry_after: float | None,
    *,
    throttled: bool = False,
    kind: str | None = None,
) -> dict[str, Any]:
    return Outcome(
        ok=False,
        error=OutcomeError(code=code, message=message, status=status),
        retry_after=retry_after,
        throttled=throttled,
        throttled_kind=kind,
    ).to_json()
