"""Failures of ARM calls, reduced to what the orchestration decides on.

Activities turn these into plain results (custom exception types do not survive the trip to an
orchestrator), so each carries its ARM status, code and message, and whether waiting helps.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TypeVar

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from migration.arm.quota import kind_of
from migration.arm.retry import DEFAULT_THROTTLE_WAIT, retry_after

T = TypeVar("T")


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


# How Azure words a source image that is feeding too many copies at once.
OVERLOADED_SOURCE = "too many requests on source"


class Throttled(ArmError):
    """ARM answered 429 after the client's own retries; wait ``retry_after`` seconds.

    ``kind`` says which bucket refused it: ``reads``, ``writes``, ``deletes`` or
    ``galleryWrites`` (``migration.arm.quota.kind_of``)."""

    kind: str = "reads"


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


def read_or_none(action: str, read: Callable[[], T]) -> T | None:
    """``read()``, with ARM's errors as :class:`ArmError`, or ``None`` when ARM answers 404."""
    with arm_errors(action):
        try:
            return read()
        except ResourceNotFoundError:
            return None


def from_http_error(action: str, error: HttpResponseError) -> ArmError:
    status = error.status_code or 0
    code = ""
    if error.error is not None and error.error.code:
        code = str(error.error.code)
    detail = error.message
    if error.error is not None and error.error.message:
        detail = error.error.message
    message = f"{action}: {code + ': ' if code else ''}{detail}"
    # An overloaded source ("Too many requests on source ...") is throttling of another kind:
    # the source, not the request, is the problem, and it passes.
    if status == 429 or OVERLOADED_SOURCE in detail.lower():
        throttled = Throttled(
            message, status=status, code=code or "TooManyRequests", retry_after=_retry_after(error)
        )
        throttled.kind = _kind(error)
        return throttled
    return ArmError(message, status=status, code=code)


def _kind(error: HttpResponseError) -> str:
    """The bucket that refused: Compute names its policy in the details' targets."""
    request = getattr(error.response, "request", None)
    method = str(getattr(request, "method", "GET"))
    details = error.error.details if error.error is not None else None
    return kind_of(method, [str(d.target or "") for d in details or []])


def _retry_after(error: HttpResponseError) -> float:
    response = error.response
    asked = retry_after(getattr(response, "headers", None)) if response is not None else None
    return DEFAULT_THROTTLE_WAIT if asked is None else max(1.0, asked)
