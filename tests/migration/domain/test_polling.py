from __future__ import annotations

from migration.domain.polling import next_poll_seconds

LIMITS = {"minimum": 60.0, "maximum": 900.0}


def test_first_poll_comes_soon() -> None:
    assert next_poll_seconds({}, {"a": 0}, None, **LIMITS) == 60


def test_interval_follows_the_fastest_region() -> None:
    # 'a' gained 20 points in 300 s: 50 points left take 750 s; 'b' would take longer.
    assert next_poll_seconds({"a": 30, "b": 10}, {"a": 50, "b": 15}, 300, **LIMITS) == 750


def test_interval_is_clamped() -> None:
    assert next_poll_seconds({"a": 0}, {"a": 99}, 60, **LIMITS) == 60
    assert next_poll_seconds({"a": 0}, {"a": 1}, 600, **LIMITS) == 900


def test_no_progress_backs_off() -> None:
    assert next_poll_seconds({"a": 5}, {"a": 5}, 120, **LIMITS) == 240
    assert next_poll_seconds({"a": 100}, {"a": 100}, 800, **LIMITS) == 900
