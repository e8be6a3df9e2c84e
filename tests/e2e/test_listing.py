"""The list of migrations filtered by gallery and source, read past Durable's first page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from migration.durable import query
from tests.e2e.test_cancel import replicating
from tests.e2e.test_migration import request
from tests.stack import GALLERY, RG, Stack, image_id

OTHER_GALLERY = f"{RG}/gallery-rg/providers/Microsoft.Compute/galleries/other"


async def listed(stack: Stack, **params: str) -> list[str]:
    answer = await stack.call("GET", "migrations?" + urlencode(params))
    assert answer.status == 200, answer.body
    return [m["id"] for m in answer.body["migrations"]]


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two instances a page: six migrations (and their batches) take several.
    monkeypatch.setattr(query, "PAGE", 2)


@pytest.mark.usefixtures("small_pages")
async def test_filters_by_gallery_and_source_past_the_first_page(stack: Stack) -> None:
    stack.emulator.seed_gallery(OTHER_GALLERY, location="eastus")
    started: dict[str, str] = {}
    for n in range(5):
        name = f"img{n}"
        stack.emulator.seed_image(image_id(name), location="eastus")
        gallery = OTHER_GALLERY if n % 2 else GALLERY
        stack.clock.advance(timedelta(minutes=1))
        started[name] = await stack.start(
            request(image_id(name), gallery=gallery, deleteSource="never")
        )
    # One that selects its image by scope: the image is named only in its batch's input.
    stack.emulator.seed_image(image_id("picked", rg="scoped-rg"), location="eastus")
    scoped_body: dict[str, Any] = request(deleteSource="never")
    scoped_body.update(images=[], scopes=[f"{RG}/scoped-rg"])
    stack.clock.advance(timedelta(minutes=1))
    scoped = await stack.start(scoped_body)
    await stack.until(replicating, scoped)

    everything = await listed(stack)
    assert sorted(everything) == sorted([*started.values(), scoped])
    other = await listed(stack, gallery=OTHER_GALLERY.upper())
    assert sorted(other) == sorted([started["img1"], started["img3"]])
    assert sorted(await listed(stack, gallery="other")) == sorted(other)
    assert await listed(stack, source=image_id("img4")) == [started["img4"]]
    assert await listed(stack, source="IMG2") == [started["img2"]]
    assert await listed(stack, source="picked") == [scoped]
    assert await listed(stack, source="img1", gallery="gal") == []
    # Newest first, and no more than asked for.
    assert everything[:2] == [scoped, started["img4"]]
    assert await listed(stack, top="2") == everything[:2]


async def test_filters_with_status_and_bad_values(stack: Stack) -> None:
    first = await stack.start(request(deleteSource="never"))
    await stack.finish(first)
    assert await listed(stack, runtimeStatus="Completed", gallery="gal") == [first]
    assert await listed(stack, runtimeStatus="Running", gallery="gal") == []
    bad = await stack.call("GET", "migrations?" + urlencode({"source": "x\u0000y"}))
    assert bad.status == 400
    assert [e["field"] for e in bad.body["errors"]] == ["source"]
