"""Failures of ARM calls, reduced to what the orchestration decides on.

Activities turn these into plain results (custom exception types do not survive the trip to an
orchestrator), so each carries its ARM status, code and message, and whether waiting helps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from azure.core.exceptions import HttpResponseError


class ArmError(Exception):
    """An ARM call failed in a way the caller should report, not retry blindly."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        # Seconds to wait before trying again, when waiting is what helps (throttling, cache lag).
        self.retry_after = retry_after


class Throttled(ArmError):
    """ARM answered 429 after the client's own retries; wait ``retry_after`` seconds."""


DEFAULT_THROTTLE_WAIT = 60.0
# Retry-After first: it is ARM's own figure, in the service's seconds, which is what a durable
# timer waits in (an emulator on a scaled clock sends retry-after-ms in wall time).
_RETRY_HEADERS = (("retry-after", 1.0), ("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001))


def passing(error: ArmError) -> bool:
    """Whether trying again later may well succeed (throttling, cache lag, a server error)."""
    return error.retry_after is not None or error.status >= 500


@contextlib.contextmanager
def arm_errors(action: str) -> Iterator[None]:
    """Re-raise the SDK's errors as :class:`ArmError`, saying what was being done."""
    try:
        yield
    except HttpResponseError as error:
        raise from_http_error(action, error) from error


def from_http_error(action: str, error: HttpResponseError) -> ArmError:
    status = error.status_code or 0
    code = ""
    if error.error is not None and error.error.code:
        code = str(error.error.code)
    detail = error.message
    if error.error is not None and error.error.message:
        detail = error.error.message
    message = f"{action}: {code + ': ' if code else ''}{detail}"
    if status == 429:
        return Throttled(
            message, status=status, code=code or "TooManyRequests", retry_after=_retry_after(error)
        )
    return ArmError(message, status=status, code=code)


def _retry_after(error: HttpResponseError) -> float:
    response = error.response
    if response is None:
        return DEFAULT_THROTTLE_WAIT
    headers = getattr(response, "headers", None) or {}
    for name, scale in _RETRY_HEADERS:
        value = headers.get(name)
        if value:
            with contextlib.suppress(ValueError):
                return max(1.0, float(value) * scale)
    return DEFAULT_THROTTLE_WAIT
