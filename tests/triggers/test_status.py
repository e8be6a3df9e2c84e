"""Pages of a migration's images: every image once, however the batches hold them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

import azure.durable_functions as df
import pytest

from migration.domain.state import BatchSummary, ImagePhase, ImageState
from migration.durable.jobs import images_entity
from triggers.status import read_images
from triggers.views import Fleet


@dataclass
class Stored:
    entity_exists: bool
    entity_state: Any


class Entities:
    """A Durable client that holds images entities, and counts the reads."""

    def __init__(self, held: dict[str, list[ImageState]]) -> None:
        self.held = {
            images_entity(instance).key: {"images": {str(i.index): i.to_json() for i in images}}
            for instance, images in held.items()
        }
        self.reads = 0

    async def read_entity_state(self, entity: df.EntityId) -> Stored:
        self.reads += 1
        state = self.held.get(entity.key)
        return Stored(state is not None, state)


def image(index: int, phase: ImagePhase = ImagePhase.REPLICATING) -> ImageState:
    return ImageState(index=index, source=f"/images/{index}", phase=phase)


# Batches hold one definition's images wherever they stand in the request: two resource groups
# with a "web" and an "app" image each give batch 0 the positions 0 and 2, batch 1 1 and 3.
BATCHES = {"b-0": [image(0), image(2, ImagePhase.FAILED)], "b-1": [image(1), image(3)]}


def fleet() -> Fleet:
    summaries = [
        BatchSummary(migration_id="m", batch=n, summary={"replicating": 1, "failed": 1})
        if n == 0
        else BatchSummary(migration_id="m", batch=n, summary={"replicating": 2})
        for n in range(2)
    ]
    return Fleet(batches=summaries, instances=list(BATCHES))


def every_page(client: Entities, top: int, phases: list[ImagePhase]) -> list[int]:
    seen: list[int] = []
    start = (0, 0)
    for _ in range(10):
        page, more = asyncio.run(
            read_images(cast(Any, client), fleet(), start=start, phases=phases, top=top)
        )
        assert len(page) <= top
        seen += [i.index for i in page]
        if more is None:
            return seen
        start = more
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("top", [1, 2, 3, 5])
def test_pages_show_every_image_once_when_batches_interleave_positions(top: int) -> None:
    assert sorted(every_page(Entities(BATCHES), top, [])) == [0, 1, 2, 3]


def test_a_phase_filter_pages_through_only_that_phase() -> None:
    assert every_page(Entities(BATCHES), 1, [ImagePhase.REPLICATING]) == [0, 1, 3]
    assert every_page(Entities(BATCHES), 1, [ImagePhase.FAILED]) == [2]


def test_a_page_skips_the_batches_before_it_without_reading_them() -> None:
    client = Entities(BATCHES)
    page, more = asyncio.run(read_images(cast(Any, client), fleet(), start=(1, 1), top=5))
    assert ([i.index for i in page], more, client.reads) == ([3], None, 1)
