from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migration.domain.ids import (
    ResourceIdError,
    parse_gallery_id,
    parse_image_id,
    parse_scope,
    parse_version_id,
    resource_key,
    same_id,
    source_key,
    version_id,
)

S1 = "00000000-0000-0000-0000-0000000000a1"
IMAGE = f"/subscriptions/{S1}/resourceGroups/rg/providers/Microsoft.Compute/images/web"


def test_parses_image_and_gallery_ids() -> None:
    image = parse_image_id(IMAGE)
    assert (image.subscription, image.resource_group, image.name) == (
        "00000000-0000-0000-0000-0000000000a1",
        "rg",
        "web",
    )
    gallery = parse_gallery_id(
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourcegroups/rg/providers/microsoft.compute/galleries/g/"
    )
    # Canonical casing of the fixed parts; names keep the casing given.
    assert (
        gallery.id
        == f"/subscriptions/{S1}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g"
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "web",
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g",
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg/providers/Microsoft.Compute/images/web/extra",
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/providers/Microsoft.Compute/images/web",
    ],
)
def test_refuses_what_is_not_an_image_id(value: str) -> None:
    with pytest.raises(ResourceIdError, match="not a managed image id"):
        parse_image_id(value)


@given(st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,18}[a-z0-9_]", fullmatch=True))
def test_ids_compare_case_insensitively(name: str) -> None:
    one = f"/subscriptions/{S1.upper()}/resourceGroups/RG/providers/Microsoft.Compute/images/{name}"
    other = one.upper()
    assert same_id(one, other)
    assert source_key(one) == source_key(other)
    assert parse_image_id(one).key == parse_image_id(other).key


def test_scopes_contain_their_resources() -> None:
    image = parse_image_id(IMAGE)
    assert parse_scope("/subscriptions/00000000-0000-0000-0000-0000000000A1").contains(image)
    assert parse_scope(
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/RG"
    ).contains(image)
    assert not parse_scope(
        "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/other"
    ).contains(image)
    assert not parse_scope("/subscriptions/00000000-0000-0000-0000-0000000000a2").contains(image)
    with pytest.raises(ResourceIdError):
        parse_scope("/subscriptions")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (IMAGE.replace("00000000-0000-0000-0000-0000000000a1", "s1"), "is not a GUID"),
        (IMAGE + "?api-version=1", "not a valid managed image name"),
        (IMAGE + "#frag", "not a valid managed image name"),
        (IMAGE.replace("/images/web", "/images/w%2Feb"), "not a valid managed image name"),
        (IMAGE.replace("/images/web", "/images/we\x00b"), "not a valid managed image name"),
        (IMAGE.replace("/images/web", "/images/" + "w" * 81), "not a valid managed image name"),
        (IMAGE.replace("/rg/", "/r g/"), "not a valid resource group name"),
        (IMAGE.replace("/rg/", "/rg./"), "not a valid resource group name"),
        (IMAGE.replace("/images/web", "/images/-web"), "not a valid managed image name"),
    ],
)
def test_only_plain_arm_ids_pass(value: str, why: str) -> None:
    with pytest.raises(ResourceIdError, match=why) as caught:
        parse_image_id(value)
    # What is echoed back is printable and bounded.
    assert str(caught.value).isprintable()
    assert len(str(caught.value)) < 600


def test_resource_groups_may_use_any_script_and_parentheses() -> None:
    assert (
        parse_image_id(IMAGE.replace("/rg/", "/Grüße-(prod)_1/")).resource_group == "Grüße-(prod)_1"
    )


def test_version_ids_are_built_parsed_and_keyed_whatever_the_casing() -> None:
    gallery = f"/subscriptions/{S1}/resourceGroups/rg/providers/Microsoft.Compute/galleries/gal"
    built = version_id(gallery, "web", "1.0.0")
    assert built == f"{gallery}/images/web/versions/1.0.0"
    # Event Grid's subjects spell resourcegroups in lower case.
    subject = built.replace("resourceGroups", "resourcegroups")
    assert parse_version_id(subject + "/") == subject
    assert resource_key(subject) == resource_key(built.upper()) == source_key(built)
    assert len(resource_key(built)) == 24
    assert "/" not in resource_key(built)
    not_a_guid = built.replace(S1, "not-a-guid")
    for wrong in (gallery, f"{gallery}/images/web", built + "/extra", not_a_guid):
        with pytest.raises(ResourceIdError):
            parse_version_id(wrong)
