"""Signed link tokens and the decision form's anti-forgery value."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migration.notify.tokens import (
    LinkClaims,
    LinkDecision,
    TokenError,
    form_token,
    form_token_matches,
    sign,
    verify,
)

KEY = b"k" * 32
CLAIMS = LinkClaims("mig-1", LinkDecision.APPROVE, 2, datetime(2030, 1, 4, 9, 0, tzinfo=UTC))


def test_a_token_carries_its_claims() -> None:
    token = sign(KEY, CLAIMS)
    assert token.startswith("v1.")
    assert verify(KEY, token) == CLAIMS
    assert verify(KEY, token).approved


def test_another_key_or_any_change_is_refused() -> None:
    token = sign(KEY, CLAIMS)
    with pytest.raises(TokenError, match="signature"):
        verify(b"x" * 32, token)
    version, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["d"] = "reject"  # the same link, turned into a rejection
    swapped = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenError):
        verify(KEY, f"{version}.{swapped}.{signature}")
    with pytest.raises(TokenError):
        verify(KEY, f"v2.{body}.{signature}")
    for broken in ("", "v1", "v1..", "v1.e30.", "v1.e30.=", "v1.!!.??", "v1." + "a" * 2000):
        with pytest.raises(TokenError):
            verify(KEY, broken)


@given(st.text(max_size=300))
def test_no_text_but_a_signed_token_is_accepted(text: str) -> None:
    with pytest.raises(TokenError):
        verify(KEY, text)


def test_tokens_differ_per_decision_and_round() -> None:
    reject = LinkClaims("mig-1", LinkDecision.REJECT, 2, CLAIMS.deadline)
    later = LinkClaims("mig-1", LinkDecision.APPROVE, 3, CLAIMS.deadline)
    assert len({sign(KEY, CLAIMS), sign(KEY, reject), sign(KEY, later)}) == 3


def test_the_form_value_is_bound_to_the_link_and_the_cookie() -> None:
    token = sign(KEY, CLAIMS)
    value = form_token(KEY, token, "cookie-1")
    assert form_token_matches(KEY, token, "cookie-1", value)
    assert not form_token_matches(KEY, token, "cookie-2", value)
    other = sign(KEY, LinkClaims("mig-2", CLAIMS.decision, CLAIMS.round, CLAIMS.deadline))
    assert not form_token_matches(KEY, other, "cookie-1", value)
    assert not form_token_matches(b"y" * 32, token, "cookie-1", value)
    assert not form_token_matches(KEY, token, "", value)
    assert not form_token_matches(KEY, token, "cookie-1", "")
