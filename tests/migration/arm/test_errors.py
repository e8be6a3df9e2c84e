"""ARM's errors reduced to what the orchestration decides on."""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError, ODataV4Format

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


def test_a_throttled_call_names_the_bucket_that_refused_it() -> None:
    def throttled(method: str, targets: list[str]) -> str:
        error = HttpResponseError(
            message="too many",
            response=_Response(method),
        )
        error.status_code = 429
        details = [{"code": "TooManyRequests", "target": t, "message": ""} for t in targets]
        body = {"code": "OperationNotAllowed", "message": "too many", "details": details}
        error.error = ODataV4Format(body)
        found = from_http_error("starting version web/1.0.0", error)
        assert isinstance(found, Throttled)
        return found.kind

    # Compute's gallery-write policy has a bucket of its own; otherwise ARM's, by method.
    assert throttled("PUT", ["GalleryWrite3Min"]) == "galleryWrites"
    assert throttled("PUT", []) == "writes"
    assert throttled("GET", ["GalleryRead3Min"]) == "reads"
    assert throttled("DELETE", []) == "deletes"


class _Response:
    """What from_http_error reads of a response: the request's method, and no headers."""

    def __init__(self, method: str) -> None:
        self.request = type("Request", (), {"method": method})()
        self.headers: dict[str, str] = {}
        self.status_code = 429
        self.reason = "Too Many Requests"

    def text(self) -> str:
        return ""
