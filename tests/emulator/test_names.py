"""Name and version rules, checked against independent statements of Azure's rules."""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from emulator.bodies import Identifier
from emulator.errors import ArmErrorResponse
from emulator.rules import names as name_rules
from emulator.testing import RunningEmulator
from tests.emulator.helpers import GALLERY_ID, definition, seed_world

ALNUM = set(string.ascii_letters + string.digits)
# Characters near the rules' edges: allowed punctuation, forbidden punctuation, non-ASCII letters
# and digits (which Python's \w and \d would accept), and whitespace.
ALPHABET = string.ascii_letters + string.digits + "_.-" + " /é٣\n"
names = st.text(alphabet=ALPHABET, max_size=90)


def accepts(check: Callable[[Any], object], value: Any) -> bool:
    """Whether ``check`` accepts ``value``; a refusal must be ARM's 400 InvalidParameter."""
    try:
        check(value)
    except ArmErrorResponse as error:
        refusal = error
    else:
        return True
    assert (refusal.status, refusal.code) == (400, "InvalidParameter")
    return False


def gallery_name_ok(name: str) -> bool:
    # Letters, digits, underscores and periods; up to 80; starts and ends with a letter or digit.
    return (
        0 < len(name) <= 80
        and all(c in ALNUM or c in "_." for c in name)
        and name[0] in ALNUM
        and name[-1] in ALNUM
    )


def definition_name_ok(name: str) -> bool:
    # Letters, digits, underscores, hyphens and periods; up to 80; starts with a letter or digit;
    # does not end with a period or a hyphen.
    return (
        0 < len(name) <= 80
        and all(c in ALNUM or c in "_.-" for c in name)
        and name[0] in ALNUM
        and name[-1] not in ".-"
    )


@given(names)
@example("a")
@example("a" * 80)
@example("a" * 81)
@example("my-gallery")
@example("my.gallery_1")
def test_gallery_names(name: str) -> None:
    assert accepts(name_rules.check_gallery_name, name) == gallery_name_ok(name)


@given(names)
@example("myImageDefinition")
@example("image-def_1.x")
@example("trailing.")
@example("_leading")
@example("٣")
def test_definition_names(name: str) -> None:
    assert accepts(name_rules.check_definition_name, name) == definition_name_ok(name)


int32 = st.integers(min_value=0, max_value=2**32)


@given(int32, int32, int32)
@example(2**31 - 1, 0, 0)
@example(2**31, 0, 0)
def test_version_parts_are_32_bit(major: int, minor: int, patch: int) -> None:
    name = f"{major}.{minor}.{patch}"
    limit = 2**31 - 1
    if max(major, minor, patch) <= limit:
        assert name_rules.check_version_name(name) == (major, minor, patch)
    else:
        with pytest.raises(ArmErrorResponse):
            name_rules.check_version_name(name)


@given(st.text(alphabet="0123456789.-+ v٣\n", max_size=20))
@example("1.0.0\n")
@example("1.0.٣")
def test_version_names_are_three_ascii_numbers(name: str) -> None:
    parts = name.split(".")
    expected = (
        len(parts) == 3
        and all(part and all(c in string.digits for c in part) for part in parts)
        and all(int(part) < 2**31 for part in parts)
    )
    assert accepts(name_rules.check_version_name, name) == expected


identifier_parts = st.text(alphabet=string.ascii_letters + string.digits + "-._ /", max_size=130)


@given(identifier_parts)
@example("pub.")
@example("")
@example("p" * 128)
@example("p" * 129)
def test_publisher(publisher: str) -> None:
    expected = (
        0 < len(publisher) <= 128
        and all(c in ALNUM or c in "-._" for c in publisher)
        and not publisher.endswith(".")
    )
    identifier = Identifier(publisher=publisher, offer="offer", sku="sku")
    assert accepts(name_rules.check_identifier, identifier) == expected


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.text(alphabet=string.ascii_letters + string.digits + "_.-", min_size=1, max_size=82))
def test_the_server_applies_the_same_definition_rule(emulator: RunningEmulator, name: str) -> None:
    if emulator.emulator.resource(GALLERY_ID) is None:
        seed_world(emulator.emulator)
    body = definition(identifier=("p", "o", f"sku{abs(hash(name.lower()))}")).as_dict()
    answer = emulator.request("PUT", f"{GALLERY_ID}/images/{name}?api-version=2026-03-03", body)
    if definition_name_ok(name):
        assert answer.status in (200, 201)
    else:
        assert answer.status == 400
        assert answer.body["error"]["code"] == "InvalidParameter"
