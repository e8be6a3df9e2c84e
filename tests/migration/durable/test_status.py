"""The status read model: statuses that always fit Durable's limit, read back as typed state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain import selection
from migration.domain.state import BatchState, MigrationState
from migration.durable.jobs import MigrationInput
from migration.durable.status import (
    CUSTOM_STATUS_LIMIT,
    batch_status,
    fleet_images,
    read_batch,
    read_state,
    status_size,
)
from tests.migration.domain.test_state import worst_image
from tests.migration.factories import GALLERY, image_id, options, parse


def test_size_is_counted_as_durable_counts_it() -> None:
    # 16 KB of UTF-16: 8,192 ASCII characters, not 16,384.
    assert status_size("x" * 8190) == 2 * len('"' + "x" * 8190 + '"')


@pytest.mark.parametrize("regions", [0, 1, 3, 10, 30, 60])
def test_a_full_batch_of_the_worst_images_fits_without_cutting(regions: int) -> None:
    targets = [{"name": f"region{r}"} for r in range(regions)]
    request = parse(
        {"gallery": GALLERY, "images": [{"source": image_id("a")}], "targetRegions": targets}
    )
    size = selection.batch_size(request)
    # The source's own region may be added to the ones asked for.
    batch = BatchState(
        migration_id="mig-" + "f" * 32,
        batch=9999,
        images=[worst_image(index=10**6 + n, regions=regions + 1) for n in range(size)],
        problems=["p" * 400],
    )
    assert status_size(batch_status(batch)) <= CUSTOM_STATUS_LIMIT


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


def test_before_its_first_episode_a_migration_reads_from_its_input() -> None:
    request = parse({"gallery": GALLERY, "images": [{"source": image_id("a")}]})
    job = MigrationInput(migration_id="mig-1", request=request, options=options())
    state = read_state(durable(input=json.dumps(job.to_json())))
    assert isinstance(state, MigrationState)
    assert (state.migration_id, state.images, state.phase.value) == ("mig-1", 1, "inspecting")
    assert read_state(durable()) is None


def test_batches_read_back_in_the_migrations_order() -> None:
    first = BatchState(migration_id="m", batch=0, images=[worst_image(2, 1), worst_image(0, 1)])
    second = BatchState(migration_id="m", batch=1, images=[worst_image(1, 1)])
    read = [read_batch(durable(customStatus=batch_status(b))) for b in (first, second)]
    assert all(b is not None for b in read)
    assert [i.index for i in fleet_images(b for b in read if b)] == [0, 1, 2]
    assert read_batch(durable(customStatus={"not": "a batch"})) is None
