"""The status read model: a custom status that fits Durable's limit, read back as typed state."""

from __future__ import annotations

import json
from typing import Any

from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.durable.jobs import MigrationInput
from migration.durable.status import (
    CUSTOM_STATUS_LIMIT,
    custom_status,
    read_state,
    status_size,
)
from tests.migration.domain.test_state import state_with
from tests.migration.factories import GALLERY, image_id, options, parse


def test_small_status_is_sent_whole() -> None:
    status = custom_status(state_with(2, 2, notes=1))
    assert "truncated" not in status
    assert status["images"][0]["notes"] == ["a note that is rather long, to take up space"]
    assert len(status["images"][0]["regions"]) == 2


def test_size_is_counted_as_durable_counts_it() -> None:
    # 16 KB of UTF-16: 8,192 ASCII characters, not 16,384.
    assert status_size("x" * 8190) == 2 * len('"' + "x" * 8190 + '"')


def test_big_status_is_cut_to_fit_the_16kb_limit() -> None:
    for images, regions in [(10, 3), (50, 6), (50, 20)]:
        status = custom_status(state_with(images, regions, notes=3))
        assert status_size(status) <= CUSTOM_STATUS_LIMIT, (images, regions)
        assert len(status["images"]) == images
        assert all(image["phase"] == "replicating" for image in status["images"])
        assert status["truncated"] is True


def durable(**fields: Any) -> DurableOrchestrationStatus:
    values: dict[str, Any] = {
        "name": "migrate",
        "instanceId": "m",
        "createdTime": "2026-01-05T09:00:00Z",
        "lastUpdatedTime": "2026-01-05T09:00:00Z",
        "runtimeStatus": "Running",
    }
    values.update(fields)
    return DurableOrchestrationStatus.from_json(values)


def test_a_cut_status_reads_back_with_every_source_from_the_input() -> None:
    state = state_with(50, 20, notes=3)
    request = parse(
        {"gallery": GALLERY, "images": [{"source": i.source} for i in state.images]}, max_images=50
    )
    job = MigrationInput(migration_id="m", request=request, options=options())
    cut = custom_status(state)
    assert "source" not in cut["images"][0]
    read = read_state(durable(customStatus=cut, input=json.dumps(job.to_json())))
    assert read is not None
    assert [i.source for i in read.images] == [image_id(f"image-{i:03}") for i in range(50)]
    assert all(i.phase == "replicating" for i in read.images)
