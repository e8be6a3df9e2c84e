"""Hint evidence: trusted while a recent hint was heard, promptly, and none missed since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from migration.domain.hints import TRUST_DELAY_SECONDS, TRUST_WINDOW, Hint, HintEvidence

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_nothing_heard_is_not_trusted() -> None:
    assert not HintEvidence().trusted(NOW)


def test_a_prompt_recent_hint_is_trusted_until_the_window_passes() -> None:
    evidence = HintEvidence().hear(NOW, 3.0)
    assert evidence.trusted(NOW + timedelta(minutes=5))
    assert not evidence.trusted(NOW + TRUST_WINDOW + timedelta(seconds=1))


def test_a_miss_ends_trust_until_a_hint_is_heard_again() -> None:
    evidence = HintEvidence().hear(NOW, 3.0).miss(NOW + timedelta(minutes=10))
    assert not evidence.trusted(NOW + timedelta(minutes=11))
    assert evidence.hear(NOW + timedelta(minutes=12), 2.0).trusted(NOW + timedelta(minutes=13))


def test_late_hints_are_not_trusted_and_the_delay_is_smoothed() -> None:
    late = HintEvidence().hear(NOW, 4 * TRUST_DELAY_SECONDS)
    assert not late.trusted(NOW)
    # One late copy among prompt ones does not end trust; a run of them does.
    prompt = HintEvidence().hear(NOW, 2.0)
    assert prompt.hear(NOW, 120.0).trusted(NOW)
    assert not prompt.hear(NOW, 300.0).hear(NOW, 300.0).trusted(NOW)


def test_evidence_keeps_the_latest_instants_whatever_the_order() -> None:
    evidence = HintEvidence().hear(NOW, 1.0).hear(NOW - timedelta(hours=1), 1.0)
    assert evidence.heard_at == NOW
    assert evidence.heard == 2


def test_a_hints_delay_is_from_the_write_and_never_negative() -> None:
    hint = Hint(version="k", nonce="n", event_time=NOW)
    assert hint.delay_seconds(NOW + timedelta(seconds=7)) == 7
    assert hint.delay_seconds(NOW - timedelta(seconds=7)) == 0
    assert Hint(version="k", nonce="n").delay_seconds(NOW) == 0
    naive = Hint(version="k", nonce="n", event_time=NOW.replace(tzinfo=None))
    assert naive.delay_seconds(NOW + timedelta(seconds=2)) == 2
