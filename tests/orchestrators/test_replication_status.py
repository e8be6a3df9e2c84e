"""The watcher's custom status stays within Durable's 16 KB however many versions it watches."""

from __future__ import annotations

from datetime import UTC, datetime

from migration.domain.facts import RegionStatus
from migration.durable.status import CUSTOM_STATUS_LIMIT, status_size
from orchestrators.replication import WatchedVersion, WatchInput, _status

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
                RegionStatus(name=f"region{r:02}", state="Replicating", progress=10 + r)
                for r in range(regions)
            ]
            for i in range(versions)
        },
    )


def test_few_versions_show_every_region() -> None:
    status = _status(watch(3, 3))
    assert "truncated" not in status
    assert [r["progress"] for r in status["images"][0]["regions"]] == [10, 11, 12]
    assert status["images"][0]["progress"] == 10


def test_many_versions_in_many_regions_keep_their_slowest_region() -> None:
    status = _status(watch(50, 12))
    assert status_size(status) <= CUSTOM_STATUS_LIMIT
    assert status["truncated"] is True
    assert status["images"][49] == {"index": 49, "state": "replicating", "progress": 10}
