"""A raw request body: plain, bounded JSON, and problems named by their field."""

from __future__ import annotations

import pytest

from migration.domain.body import MAX_DEPTH, RequestInvalid, field_path, load_json, repeats


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("{nope", "not JSON"),
        ('{"a": NaN}', "not a JSON number"),
        ('{"a": 1e999}', "too large"),
        ("[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2), "nested more than"),
        ("[" * 100_000 + "]" * 100_000, "nested"),
    ],
)
def test_what_is_not_plain_bounded_json_is_refused_as_the_whole_body(raw: str, says: str) -> None:
    with pytest.raises(RequestInvalid) as refused:
        load_json(raw)
    (error,) = refused.value.errors
    assert error.field == ""
    assert says in error.message


def test_plain_json_is_data() -> None:
    assert load_json(b'{"a": [1, 2.5, true, null]}') == {"a": [1, 2.5, True, None]}
    assert load_json(b"") is None


def test_repeats_are_found_in_the_raw_body_whatever_else_is_wrong() -> None:
    body = {
        "images": [
            {"source": "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Compute/images/a"},
            "not an object",
            {"source": "/SUBSCRIPTIONS/S/resourceGroups/RG/providers/Microsoft.Compute/images/A"},
        ],
        "targetRegions": [{"name": "eastus"}, {"name": "East US"}],
    }
    assert {e.field for e in repeats(body)} == {"images[2].source", "targetRegions[1].name"}


def test_field_paths_read_as_json_paths() -> None:
    assert field_path(("images", 0, "source")) == "images[0].source"
    assert field_path(()) == ""
