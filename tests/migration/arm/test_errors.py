"""ARM's errors reduced to what the orchestration decides on."""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError

from migration.arm.errors import ArmError, Throttled, from_http_error
from migration.arm.retry import DEFAULT_THROTTLE_WAIT


def http_error(status: int, message: str) -> HttpResponseError:
    error = HttpResponseError(message=message)
    error.status_code = status
    return error


def test_an_overloaded_source_is_throttling_whatever_its_status() -> None:
    found = from_http_error(
        "starting version web/1.0.0",
        http_error(409, "Too many requests on source '/x'. Retry later."),
    )
    assert isinstance(found, Throttled)
    assert found.retry_after == DEFAULT_THROTTLE_WAIT
    assert "Too many requests on source" in found.message


def test_other_conflicts_are_plain_errors() -> None:
    found = from_http_error("starting version web/1.0.0", http_error(409, "Conflict"))
    assert type(found) is ArmError
    assert found.retry_after is None
