from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migration.domain import rules
from migration.domain.naming import definition_name_for, identifier_part
from migration.domain.versions import next_free_version


@pytest.mark.parametrize("name", ["gallery1", "my_gallery.v2", "a" * 80])
def test_valid_gallery_names(name: str) -> None:
    assert rules.gallery_name_error(name) is None


@pytest.mark.parametrize("name", ["my-gallery", "", "a" * 81, "g allery"])
def test_invalid_gallery_names(name: str) -> None:
    assert rules.gallery_name_error(name) is not None


@pytest.mark.parametrize("name", ["web", "Web-2024.1", "a_b", "9lives", "x" * 80])
def test_valid_definition_names(name: str) -> None:
    assert rules.definition_name_error(name) is None


@pytest.mark.parametrize("name", ["-web", "web-", "web.", "_web", "x" * 81, "w b", ""])
def test_invalid_definition_names(name: str) -> None:
    assert rules.definition_name_error(name) is not None


@pytest.mark.parametrize(
    ("name", "parts"),
    [("1.0.0", (1, 0, 0)), ("0.0.2147483647", (0, 0, 2147483647)), ("10.20.30", (10, 20, 30))],
)
def test_version_names(name: str, parts: tuple[int, int, int]) -> None:
    assert rules.parse_version(name) == parts


@pytest.mark.parametrize(
    "name",
    [
        "1.0",
        "1.0.0.0",
        "1.0.2147483648",
        "a.b.c",
        "-1.0.0",
        "",
        "\u0661.\u0660.\u0660",  # Arabic-Indic digits
        "1.0.0\n",
        "1.0." + "9" * 5000,
    ],
)
def test_invalid_version_names(name: str) -> None:
    assert rules.version_name_error(name) is not None


def test_identifier_parts() -> None:
    assert rules.identifier_part_error("publisher", "Contoso") is None
    assert rules.identifier_part_error("offer", "x" * 65) is not None
    assert rules.identifier_part_error("sku", "ends.") is not None
    assert rules.identifier_part_error("sku", "") is not None


def test_region_names_are_normalised() -> None:
    assert rules.normalize_region("West US 2") == "westus2"
    assert rules.region_name_error("West US 2") is None
    assert rules.region_name_error("west-us") is not None


@pytest.mark.parametrize(
    ("deployments", "replicas"), [(1, 1), (20, 1), (21, 2), (45, 3), (2000, 100)]
)
def test_one_replica_per_twenty_deployments(deployments: int, replicas: int) -> None:
    assert rules.replicas_for_deployments(deployments) == replicas


@given(st.text(max_size=200))
def test_derived_definition_names_are_always_valid(image_name: str) -> None:
    assert rules.definition_name_error(definition_name_for(image_name)) is None


def test_derived_definition_name_keeps_what_it_can() -> None:
    assert definition_name_for("web-2024.01") == "web-2024.01"
    assert definition_name_for("my image (v2)") == "my-image-v2"
    assert definition_name_for("--") == "image"


@given(st.text(max_size=200), st.sampled_from(["publisher", "offer", "sku"]))
def test_derived_identifier_parts_are_always_valid(value: str, part: str) -> None:
    assert rules.identifier_part_error(part, identifier_part(value, part)) is None


@given(
    st.lists(
        st.tuples(st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 2)),
        max_size=10,
    )
)
def test_next_free_version_is_above_every_taken_one(taken: list[tuple[int, int, int]]) -> None:
    names = [rules.format_version(t) for t in taken] + ["latest", "1.0"]
    chosen = rules.parse_version(next_free_version(names))
    assert chosen is not None
    assert all(chosen > t for t in taken)


def test_next_free_version_examples() -> None:
    assert next_free_version([]) == "1.0.0"
    assert next_free_version(["1.0.0", "1.0.9", "0.9.20"]) == "1.0.10"
    assert next_free_version(["1.0.2147483647"]) == "1.1.0"
