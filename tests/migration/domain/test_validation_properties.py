"""Properties of the door's validator, over generated requests (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from migration.domain.body import FieldError, RequestInvalid
from migration.domain.validation import parse_request
from tests.migration.factories import SUB, limits

GUID = st.uuids().map(str)
NAME = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,20}[A-Za-z0-9_])?", fullmatch=True)
GROUP = st.from_regex(r"[A-Za-z0-9_()-]{1,20}", fullmatch=True)
REGION = st.sampled_from(["eastus", "westus2", "northeurope", "West Europe", "southcentralus"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)


def resource(group: str, kind: str, name: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Compute/{kind}/{name}"


def errors(raw: bytes) -> list[FieldError] | None:
    """The field errors a body gets, or ``None`` when it is a valid request."""
    try:
        parse_request(raw, limits())
    except RequestInvalid as error:
        return error.errors
    return None


@st.composite
def valid_requests(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(NAME, min_size=1, max_size=5, unique_by=str.lower))
    group = draw(GROUP)
    regions = draw(st.lists(REGION, max_size=3, unique_by=lambda r: r.replace(" ", "").lower()))
    body: dict[str, Any] = {
        "gallery": resource(group, "galleries", "g_1"),
        "images": [{"source": resource(group, "images", name)} for name in names],
        "targetRegions": [
            {"name": region, "replicaCount": draw(st.integers(1, 100))} for region in regions
        ],
    }
    if draw(st.booleans()):
        body["deleteSource"] = draw(st.sampled_from(["never", "afterApproval", "afterReplication"]))
    if draw(st.booleans()):
        body["excludeFromLatest"] = draw(st.booleans())
    if draw(st.booleans()):
        body["approvalTimeout"] = f"PT{draw(st.integers(1, 2000))}H"
    if draw(st.booleans()):
        body["blockDeletionBeforeEndOfLife"] = draw(st.booleans())
    return body


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(JSON)
def test_any_json_is_either_a_request_or_a_list_of_field_errors(value: Any) -> None:
    found = errors(json.dumps(value).encode())
    assert found is None or all(isinstance(e.field, str) and e.message for e in found)
    assert found != []


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_any_bytes_are_either_a_request_or_field_errors(raw: bytes) -> None:
    assert errors(raw) != []


@settings(max_examples=150)
@given(valid_requests())
def test_a_valid_request_is_accepted_and_its_canonical_form_is_a_fixed_point(
    body: dict[str, Any],
) -> None:
    request = parse_request(json.dumps(body).encode(), limits())
    again = parse_request(json.dumps(request.to_json()).encode(), limits())
    assert again.to_json() == request.to_json()
    assert len(request.images) == len(body["images"])
    assert [r.name for r in request.target_regions] == [
        r["name"].replace(" ", "").lower() for r in body["targetRegions"]
    ]


WRONG_TYPES = st.sampled_from([["a"], {"a": 1}, "2", 2.5, True, None])


@settings(max_examples=150)
@given(
    valid_requests(),
    st.sampled_from(["gallery", "replicaCount", "excludeFromLatest", "deleteSource"]),
    WRONG_TYPES,
)
def test_a_field_of_the_wrong_type_is_named(body: dict[str, Any], field: str, wrong: Any) -> None:
    expected_type = {
        "gallery": str,
        "replicaCount": int,
        "excludeFromLatest": bool,
        "deleteSource": str,
    }
    if isinstance(wrong, expected_type[field]) and not (field == "replicaCount" and wrong is True):
        return  # not wrong for this field
    if field in {"deleteSource", "gallery"} and wrong is None:
        return
    body[field] = wrong
    found = errors(json.dumps(body).encode())
    assert found is not None, f"{field}={wrong!r} was accepted"
    assert field in {e.field for e in found}
