"""The one retry policy: which layer waits, how long, and how many times."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azure.core.pipeline import PipelineContext, PipelineResponse
from azure.core.rest import HttpRequest

from migration.arm import retry
from migration.arm.retry import ServiceRetryPolicy


@dataclass
class StubResponse:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


def response(status: int, method: str = "GET", **headers: str) -> PipelineResponse[Any, Any]:
    return PipelineResponse(
        HttpRequest(method, "http://127.0.0.1/x"),
        StubResponse(status, {k.replace("_", "-"): v for k, v in headers.items()}),
        PipelineContext(None),
    )


def policy(max_retry_after: float = 20) -> ServiceRetryPolicy:
    return ServiceRetryPolicy(max_retry_after=max_retry_after, retry_total=3)


def test_retry_headers_are_read_in_azure_cores_order() -> None:
    assert retry.retry_after({"Retry-After": "120", "retry-after-ms": "250"}) == 120
    assert retry.retry_after({"x-ms-retry-after-ms": "1500"}) == 1.5
    assert retry.retry_after({"retry-after-ms": "250", "x-ms-retry-after-ms": "1500"}) == 0.25
    assert retry.retry_after({"RETRY-AFTER": "7"}) == 7
    assert retry.retry_after({"Retry-After": "soon", "retry-after-ms": "300"}) == 0.3
    assert retry.retry_after({}) is None
    assert retry.retry_after(None) is None
    assert policy().get_retry_after(response(503, Retry_After="4")) == 4


def test_the_pipeline_leaves_throttling_to_the_orchestration() -> None:
    settings = policy().configure_retries({})
    assert not policy().is_retry(settings, response(429, Retry_After="1"))
    assert not policy().is_retry(settings, response(429))


def test_the_pipeline_retries_server_errors_unless_told_to_wait_long() -> None:
    settings = policy().configure_retries({})
    assert policy().is_retry(settings, response(503))
    assert policy().is_retry(settings, response(503, Retry_After="3"))
    assert not policy().is_retry(settings, response(503, Retry_After="120"))
    assert not policy(max_retry_after=5).is_retry(settings, response(503, retry_after_ms="6000"))
    assert not policy().is_retry(settings, response(404))
    assert not policy().is_retry(settings, response(200, Retry_After="120"))


def test_throttling_backs_off_from_what_arm_asked() -> None:
    waits = [retry.wait_before_retry(2, attempt, throttled=True) for attempt in range(1, 9)]
    assert waits[:4] == [5, 10, 20, 40]
    assert waits[-1] == retry.THROTTLE_BACKOFF_MAX
    assert retry.wait_before_retry(600, 1, throttled=True) == 600


def test_other_waits_are_what_was_asked_and_tried_fewer_times() -> None:
    assert retry.wait_before_retry(30, 5, throttled=False) == 30
    assert retry.wait_before_retry(None, 1, throttled=False) == 0
    assert retry.attempts_allowed(throttled=False) < retry.attempts_allowed(throttled=True)
