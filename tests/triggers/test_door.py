"""The door's free-text types: what a person writes is bounded and safe to log and to show."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from triggers import door
from triggers.approvals import DecisionBody
from triggers.cancel import CancelBody


class Said(BaseModel):
    by: door.Person
    reason: door.Reason | None = None


@pytest.mark.parametrize(
    "text", ["ann\nINFO approved by root", "ann\x1b[2J", "ann\u202e", "a\u2028b"]
)
def test_control_characters_are_refused_in_names_and_reasons(text: str) -> None:
    with pytest.raises(ValidationError, match="control characters"):
        Said(by=text)
    with pytest.raises(ValidationError, match="control characters"):
        Said(by="ann", reason=text)


def test_names_are_bounded_and_not_empty() -> None:
    assert Said(by="Ann Lee", reason="tested in staging").by == "Ann Lee"
    for by in ("", "x" * 201):
        with pytest.raises(ValidationError):
            Said(by=by)


def test_decisions_and_cancels_use_them() -> None:
    for model in (DecisionBody, CancelBody):
        with pytest.raises(ValidationError, match="control characters"):
            model.model_validate({"by": "ann", "reason": "ok\r\nforged"})
