"""The status read model: statuses that always fit Durable's limit, read back as typed state."""

from __future__ import annotations

import json
from typing import Any

import pytest
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus

from migration.domain.facts import RegionStatus
from migration.domain.state import (
    MAX_DECISIONS_SHOWN,
    BatchSummary,
    Decision,
    DecisionRecord,
    MigrationState,
    SelectionReport,
)
from migration.durable.jobs import MigrationInput
from migration.durable.status import (
    CUSTOM_STATUS_LIMIT,
    ReplicationProgress,
    add_regions,
    batch_status,
    migration_status,
    read_batch,
    read_images,
    read_state,
    region_progress,
    status_size,
)
from tests.migration.domain.test_state import AT, worst_image
from tests.migration.factories import GALLERY, image_id, options, parse

LONG = "x" * 5000


def test_size_is_counted_as_durable_counts_it() -> None:
    # 16 KB of UTF-16: 8,192 ASCII characters, not 16,384.
    assert status_size("x" * 8190) == 2 * len('"' + "x" * 8190 + '"')


def test_the_worst_migration_status_fits_however_many_problems_and_decisions() -> None:
    state = MigrationState(
        migration_id="mig-" + "f" * 32,
        gallery=GALLERY,
        delete_source="afterApproval",
        images=10**6,
        batches=10**5,
        selection=SelectionReport(scopes=50, listed=10**6, selected=10**6, held_by_others=10**6),
        summary=dict.fromkeys(("replicated", "failed", "kept", "deleted", "blocked"), 10**6),
    )
    for n in range(1000):
        state.problem(f"{n} {LONG}")
        state.approval.record(
            DecisionRecord(
                decision=Decision.REJECTED, by="b" * 200, reason="r" * 500, at=AT, images=10**6
            )
        )
    assert len(state.approval.decisions) == MAX_DECISIONS_SHOWN
    assert state.more_problems == 1000 - len(state.problems)
    assert status_size(migration_status(state)) <= CUSTOM_STATUS_LIMIT


def test_the_worst_batch_status_fits() -> None:
    batch = BatchSummary(migration_id="mig-" + "f" * 32, batch=99999, summary={"failed": 10**6})
    for n in range(1000):
        batch.problem(f"{n} {LONG}")
    assert status_size(batch_status(batch)) <= CUSTOM_STATUS_LIMIT


@pytest.mark.parametrize("regions", [1, 10, 60])
def test_a_watchers_status_grows_with_regions_not_with_images(regions: int) -> None:
    statuses = [
        RegionStatus(name=f"southafricanorth{r}", state="Replicating", progress=50)
        for r in range(regions)
    ] * 1000
    progress = ReplicationProgress(regions=region_progress(statuses), images={"replicating": 1000})
    assert status_size(progress.to_custom_status()) <= CUSTOM_STATUS_LIMIT
    assert progress.regions[0].replicating == 1000


def test_regions_add_up_over_watchers() -> None:
    one = region_progress([RegionStatus(name="eastus", state="Completed", progress=100)])
    two = region_progress(
        [
            RegionStatus(name="eastus", state="Replicating", progress=30),
            RegionStatus(name="eastus", state="Failed", progress=0),
        ]
    )
    (east,) = add_regions([one, two])
    assert (east.completed, east.replicating, east.failed, east.progress) == (1, 1, 1, 65)


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


def test_a_batch_reads_back_from_its_status_and_its_images_from_its_entity() -> None:
    summary = BatchSummary(migration_id="m", batch=3, summary={"replicating": 2})
    assert read_batch(durable(customStatus=batch_status(summary))) == summary
    assert read_batch(durable(customStatus={"not": "a batch"})) is None
    entity = {"images": {str(i.index): i.to_json() for i in (worst_image(2, 1), worst_image(0, 1))}}
    entity["images"]["9"] = {"not": "an image"}
    assert [i.index for i in read_images(entity)] == [0, 2]
    assert read_images(None) == []
