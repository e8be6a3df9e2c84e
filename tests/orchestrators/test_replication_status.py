"""The watcher's custom status stays within Durable's 16 KB however many versions it watches:
it publishes each region over its images and counts by outcome (each image's regions go to its
batch's images entity)."""

from __future__ import annotations

from datetime import UTC, datetime

from migration.domain.facts import RegionStatus
from migration.durable.status import CUSTOM_STATUS_LIMIT, ReplicationProgress, status_size
from orchestrators.replication import WatchedVersion, WatchInput, WatchResult, _status

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def watch(versions: int, regions: int) -> WatchInput:
    return WatchInput(
        gallery="g",
        versions=[
            WatchedVersion(index=i, source=f"s{i}", definition=f"d{i}", version="1.0.0")
            for i in range(versions)
        ],
        deadline=NOW,
        poll_min_seconds=60,
        poll_max_seconds=900,
        last_regions={
            str(i): [
                RegionStatus(name=f"region{r:02}", state="Replicating", progress=10 + r + i)
                for r in range(regions)
            ]
            for i in range(versions)
        },
    )


def test_each_region_shows_its_images_mean_progress_and_the_outcomes_are_counted() -> None:
    watched = watch(3, 2)
    watched.results["2"] = WatchResult(
        state="completed",
        regions=[
            RegionStatus(name=f"region{r:02}", state="Completed", progress=100) for r in range(2)
        ],
        at=NOW,
    )
    progress = ReplicationProgress.from_json(_status(watched))
    first = progress.regions[0]
    # Two images at 10% and 11%, one done: (10 + 11 + 100) / 3.
    assert (first.name, first.replicating, first.completed, first.progress) == (
        "region00",
        2,
        1,
        40,
    )
    assert progress.images == {"replicating": 2, "completed": 1}


def test_a_thousand_versions_in_sixty_regions_fit() -> None:
    status = _status(watch(1000, 60))
    assert status_size(status) <= CUSTOM_STATUS_LIMIT
    assert len(status["regions"]) == 60
