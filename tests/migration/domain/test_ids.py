from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migration.domain.ids import (
    ResourceIdError,
    parse_gallery_id,
    parse_image_id,
    parse_scope,
    same_id,
    source_key,
)

IMAGE = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/images/web"


def test_parses_image_and_gallery_ids() -> None:
    image = parse_image_id(IMAGE)
    assert (image.subscription, image.resource_group, image.name) == ("s1", "rg", "web")
    gallery = parse_gallery_id(
        "/subscriptions/s1/resourcegroups/rg/providers/microsoft.compute/galleries/g/"
    )
    # Canonical casing of the fixed parts; names keep the casing given.
    assert (
        gallery.id == "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g"
    )


@pytest.mark.parametrize(
    "value",
    [
        "",
        "web",
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/galleries/g",
        "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/images/web/extra",
        "/subscriptions/s1/providers/Microsoft.Compute/images/web",
    ],
)
def test_refuses_what_is_not_an_image_id(value: str) -> None:
    with pytest.raises(ResourceIdError, match="not a managed image id"):
        parse_image_id(value)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20))
def test_ids_compare_case_insensitively(name: str) -> None:
    one = f"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/images/{name}"
    other = one.upper()
    assert same_id(one, other)
    assert source_key(one) == source_key(other)
    assert parse_image_id(one).key == parse_image_id(other).key


def test_scopes_contain_their_resources() -> None:
    image = parse_image_id(IMAGE)
    assert parse_scope("/subscriptions/S1").contains(image)
    assert parse_scope("/subscriptions/s1/resourceGroups/RG").contains(image)
    assert not parse_scope("/subscriptions/s1/resourceGroups/other").contains(image)
    assert not parse_scope("/subscriptions/s2").contains(image)
    with pytest.raises(ResourceIdError):
        parse_scope("/subscriptions")
