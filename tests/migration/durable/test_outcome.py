from __future__ import annotations

from collections.abc import Callable

from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

from migration.arm.errors import ArmError, Throttled
from migration.arm.retry import TRANSIENT_WAIT
from migration.durable.outcome import Outcome, capture


def raising(error: Exception) -> Callable[[], object]:
    def action() -> object:
        raise error

    return action


def test_value() -> None:
    assert capture(lambda: {"a": 1}) == {
        "ok": True,
        "value": {"a": 1},
        "error": None,
        "retryAfter": None,
        "throttled": False,
        "throttledKind": None,
        "remaining": None,
    }


def test_arm_errors_say_whether_to_wait() -> None:
    throttled = Outcome.from_json(
        capture(
            raising(Throttled("slow down", status=429, code="TooManyRequests", retry_after=120))
        )
    )
    assert (throttled.ok, throttled.code, throttled.retry_after) == (False, "TooManyRequests", 120)
    assert throttled.throttled
    server = Outcome.from_json(capture(raising(ArmError("boom", status=503))))
    assert server.retry_after == TRANSIENT_WAIT
    final = Outcome.from_json(capture(raising(ArmError("no", status=409, code="Conflict"))))
    assert (final.retry_after, final.message, final.throttled) == (None, "no", False)


def test_transport_and_token_failures_are_transient() -> None:
    for error in (ServiceRequestError("connection refused"), ClientAuthenticationError("IMDS")):
        outcome = Outcome.from_json(capture(raising(error)))
        assert outcome.code == "Transient"
        assert outcome.retry_after == TRANSIENT_WAIT
