"""How deliveries show in a migration's problems: one line per destination, replaced as it
changes, and gone once the notice got through."""

from __future__ import annotations

from migration.notify.sending import Delivery, being_retried, read_answer, with_deliveries

SLACK = "slack #1 (hooks.slack.com)"


def failed(retry: bool = True) -> Delivery:
    return Delivery(key="slack:1", label=SLACK, ok=False, retry=retry, error="HTTP 500")


def test_a_line_per_destination_replaced_as_it_changes() -> None:
    problems = with_deliveries(["a source was kept"], [failed()], retried_later=True)
    assert problems == [
        "a source was kept",
        f"notifications to {SLACK} failed: HTTP 500 (tried again for up to 85 minutes)",
    ]
    assert being_retried(problems)
    given_up = with_deliveries(problems, [failed()])
    assert given_up == ["a source was kept", f"notifications to {SLACK} keep failing: HTTP 500"]
    assert not being_retried(given_up)
    delivered = Delivery(key="slack:1", label=SLACK, ok=True)
    assert with_deliveries(given_up, [delivered]) == ["a source was kept"]


def test_a_refusal_for_good_is_not_retried_later() -> None:
    refused = read_answer("slack:1", SLACK, 404, "no_service")
    assert not refused.retry
    problems = with_deliveries([], [refused], retried_later=True)
    assert problems == [f"notifications to {SLACK} keep failing: HTTP 404: no_service"]
    assert read_answer("slack:1", SLACK, 503, "").retry
