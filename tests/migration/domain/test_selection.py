"""Selecting images by filters, and splitting a migration into batches by definition."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from migration.domain.request import ImageSpec, SelectionFilters
from migration.domain.selection import batches, definition_group, matches
from tests.migration import factories as f


def test_every_filter_given_must_hold() -> None:
    image = f.image("web-01", tags={"Team": "Blue", "env": "prod"})
    assert matches(image, SelectionFilters())
    assert matches(image, SelectionFilters(name_pattern="WEB-*", tags={"team": "blue"}))
    assert matches(image, SelectionFilters(tags={"env": None}, locations=["eastus"]))
    assert not matches(image, SelectionFilters(tags={"owner": None}))
    assert not matches(image, SelectionFilters(tags={"team": "red"}))
    assert not matches(image, SelectionFilters(name_pattern="app-*"))
    assert not matches(image, SelectionFilters(os_type="Windows"))
    assert not matches(image, SelectionFilters(hyper_v_generation="V1"))
    assert not matches(image, SelectionFilters(locations=["westus"]))


def spec(name: str, definition: str | None = None) -> ImageSpec:
    body: dict[str, object] = {"source": f.image_id(name)}
    if definition:
        body["definition"] = {"name": definition}
    return ImageSpec.model_validate(body)


def test_a_definition_larger_than_a_batch_runs_in_batches_that_follow_each_other() -> None:
    images = [spec(f"w{n}", "web") for n in range(45)] + [spec("a", "app")]
    found = batches(images, 20)
    web = [b for b in found if definition_group(b.images[0]) == "web"]
    assert [len(b.images) for b in web] == [20, 20, 5]
    assert [b.after for b in web] == [None, web[0].index, web[1].index]
    app = [b for b in found if any(definition_group(i) == "app" for i in b.images)]
    assert app
    assert app[0].after is None


@given(
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=120), st.integers(1, 25)
)
def test_every_image_is_in_exactly_one_batch_and_no_batch_is_too_big(
    definitions: list[str], size: int
) -> None:
    images = [spec(f"img{n}", d) for n, d in enumerate(definitions)]
    found = batches(images, size)
    positions = sorted(p for b in found for p in b.positions)
    assert positions == list(range(len(images)))
    assert all(len(b.images) <= size for b in found)
    for b in found:
        assert [images[p] for p in b.positions] == list(b.images)
        # A batch waits only for an earlier one of the same definition.
        if b.after is not None:
            earlier = found[b.after]
            assert earlier.index < b.index
            assert {definition_group(i) for i in earlier.images} & {
                definition_group(i) for i in b.images
            }
    # A definition that fits in a batch is never split.
    for d in set(definitions):
        if definitions.count(d) <= size:
            holding = [b for b in found if any(definition_group(i) == d for i in b.images)]
            assert len(holding) == 1
