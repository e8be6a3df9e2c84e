"""The one retry policy for ARM calls: who waits, how long, and how many times.

Azure Resource Manager asks callers to come back later in three ways: throttling (429 with
``Retry-After``; cool-downs of 120 s and 1200 s have been seen), server errors and transport
failures, and cache lag (a child of a resource created a moment ago answers 404 for a while).
The app waits each out in exactly one place:

1. **Inside an activity**, azure-core's pipeline (:class:`ServiceRetryPolicy`) retries server
   errors and transport failures a few times with a short backoff. It never waits out
   throttling: an activity must not sleep through a cool-down (Flex Consumption recycles
   workers), and a durable timer waits for free (:data:`AZURE_PIPELINE_RETRIES`).
2. **The activity's outcome** then says whether waiting helps and for how long:
   ``Retry-After`` for throttling (:func:`retry_after`, default :data:`DEFAULT_THROTTLE_WAIT`),
   :data:`TRANSIENT_WAIT` for a server or transport failure that outlived the pipeline's
   retries, :data:`CACHE_LAG_WAIT` for cache lag.
3. **The orchestration** waits that long on a durable timer and tries again
   (:func:`wait_before_retry`, stretched by up to :data:`JITTER`): throttling backs off
   exponentially from what ARM asked, since others share the budget, up to
   :data:`MAX_THROTTLED_ATTEMPTS`; anything else is tried :data:`MAX_ATTEMPTS` times.

``Retry-After`` headers are read in one order, azure-core's: ``Retry-After`` (seconds), then
``retry-after-ms``, then ``x-ms-retry-after-ms``. In Azure they agree; the first is the one ARM
always sends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import RetryPolicy

# Seconds to wait when ARM throttles without saying for how long.
DEFAULT_THROTTLE_WAIT = 60.0
# After a transport failure or a 5xx that outlived the pipeline's own retries.
TRANSIENT_WAIT = 30.0
# A child of a resource this run just created can be missing from ARM's cache for a moment.
CACHE_LAG_WAIT = 10.0

# Attempts per call before an outcome that asks for a retry is accepted as final. Throttling
# gets many more: it says nothing about the call, only about the load, and it passes.
MAX_ATTEMPTS = 8
MAX_THROTTLED_ATTEMPTS = 60
# Retry-After says when one request may pass again; an activity may need several, and others
# share the budget, so repeated throttling backs off exponentially from there.
THROTTLE_BACKOFF_BASE = 5.0
THROTTLE_BACKOFF_MAX = 300.0

# Replication reads: looks at which a just-created version may still be missing (cache lag)
# before it counts as gone, and reads that may fail in a row (for a reason that does not say
# when to come back) before the version counts as failed.
MISSING_GRACE = 3
READ_FAILURES = 5

# An activity has a bounded life (Flex Consumption recycles workers; the orchestration owns the
# long waits), so the pipeline may retry briefly but never sleep for long: at most 4 retries,
# backoff 0.8 s doubling to 10 s, Retry-After honoured up to 20 s, and the whole call, retries
# included, capped at 90 s. LROs that do wait (definitions, deletes) poll every 5 s unless the
# service's Retry-After says otherwise; version PUTs are never waited on (their operation ends
# only when replication does).
AZURE_PIPELINE_RETRIES: dict[str, Any] = {
    "max_retry_after": 20.0,
    "retry_total": 4,
    "retry_backoff_factor": 0.8,
    "retry_backoff_max": 10,
    "timeout": 90,
}
# The emulator answers at once: back off briefly, in wall time, on its 5xx.
EMULATOR_PIPELINE_RETRIES: dict[str, Any] = {
    "max_retry_after": 5.0,
    "retry_total": 4,
    "retry_backoff_factor": 0.05,
    "retry_backoff_max": 1,
}

# Retry waits of the orchestration are stretched by up to this share (drawn per instance and
# round), so that migrations throttled together do not come back together.
JITTER = 0.5

_RETRY_AFTER_HEADERS = (
    ("retry-after", 1.0),
    ("retry-after-ms", 0.001),
    ("x-ms-retry-after-ms", 0.001),
)


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds ARM asks to wait, from the first of its retry headers that holds a number."""
    if not headers:
        return None
    lowered = {name.lower(): value for name, value in headers.items()}
    for name, scale in _RETRY_AFTER_HEADERS:
        value = lowered.get(name)
        if value:
            with contextlib.suppress(ValueError):
                return max(0.0, float(value) * scale)
    return None


def attempts_allowed(*, throttled: bool) -> int:
    return MAX_THROTTLED_ATTEMPTS if throttled else MAX_ATTEMPTS


def wait_before_retry(asked: float | None, attempt: int, *, throttled: bool) -> float:
    """Seconds an orchestration waits after the ``attempt``-th try of a call (from 1) failed."""
    asked = asked or 0.0
    if not throttled:
        return asked
    backoff = min(THROTTLE_BACKOFF_MAX, THROTTLE_BACKOFF_BASE * 2.0 ** (attempt - 1))
    return max(asked, backoff)


class ServiceRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's retry policy, minus waiting out throttling.

    A 429 goes straight back to the caller (whose orchestration waits on a durable timer), and
    so does any answer that asks for a longer wait than ``max_retry_after``. Server errors and
    transport failures are retried as azure-core does, reading retry headers with
    :func:`retry_after`.
    """

    def __init__(self, *, max_retry_after: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_retry_after = max_retry_after

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        return retry_after(response.http_response.headers)

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        status = response.http_response.status_code
        if status == 429:
            return False
        if status >= 400:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                return False
        return bool(super().is_retry(settings, response))
