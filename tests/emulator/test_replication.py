"""The replication model: durations from size, replicas and region; seeded jitter; lazy settling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.mgmt.compute import ComputeManagementClient

from emulator import EmulatorConfig, ReplicationModel
from emulator.regions import REGIONS, find_region
from emulator.replication import replication_seconds
from emulator.testing import START, RunningEmulator
from simclock import VirtualClock
from tests.emulator.helpers import create_definition, get_version, seed_world, start_version

EAST, WEST2, NORTHEUROPE = REGIONS["eastus"], REGIONS["westus2"], REGIONS["northeurope"]
EXACT = ReplicationModel(jitter=0)


def seconds(
    model: ReplicationModel = EXACT,
    *,
    region: str = "westus2",
    size_gb: int = 30,
    replicas: int = 1,
    seed: int = 0,
    version: str = "v",
) -> float:
    return replication_seconds(
        model,
        seed=seed,
        version_key=version,
        region=REGIONS[region],
        source_region=EAST,
        size_gb=size_gb,
        replicas=replicas,
    )


def test_duration_follows_the_documented_formula() -> None:
    model = ReplicationModel(
        base_seconds=100,
        seconds_per_gb=10,
        per_extra_replica=0.5,
        source_region_factor=0.5,
        cross_geography_factor=2,
        region_factors={"West US 2": 1.2},
        jitter=0,
    )
    assert seconds(model, region="westus2", size_gb=30, replicas=3) == pytest.approx(400 * 1.2 * 2)
    assert seconds(model, region="eastus", size_gb=30) == pytest.approx(400 * 0.5)
    assert seconds(model, region="northeurope", size_gb=30) == pytest.approx(400 * 2)


def test_bigger_sources_and_more_replicas_take_longer() -> None:
    assert seconds(size_gb=1054) > seconds(size_gb=30)
    assert seconds(replicas=5) > seconds(replicas=1)
    assert seconds(region="eastus") < seconds(region="westus2") < seconds(region="northeurope")


def test_jitter_is_seeded_per_version_and_region() -> None:
    model = ReplicationModel(jitter=0.2)
    exact = seconds(EXACT)
    draws = {seconds(model, seed=seed, version=f"v{n}") for seed in range(3) for n in range(5)}
    assert len(draws) == 15
    assert all(0.8 * exact <= draw <= 1.2 * exact for draw in draws)
    assert seconds(model, seed=1, version="v") == seconds(model, seed=1, version="v")


def test_region_table_has_display_names() -> None:
    assert REGIONS["westus2"].display_name == "West US 2"
    assert find_region("West US 2") is find_region("WESTUS2") is REGIONS["westus2"]
    assert find_region("atlantis") is None
    assert len(REGIONS) >= 45


@pytest.mark.parametrize(
    "emulator_config",
    [
        EmulatorConfig(
            replication=ReplicationModel(
                base_seconds=1000,
                seconds_per_gb=0,
                source_region_factor=1,
                cross_geography_factor=1,
                jitter=0,
                profile="linear",
            )
        )
    ],
)
def test_progress_is_linear_and_events_carry_their_own_time(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm)
    emulator.advance(250)
    assert [s.progress for s in get_version(arm).replication_status.summary] == [25, 22]
    # Far past the end in one step: the log says when each region finished, not when we looked.
    emulator.advance(10_000)
    events = {(e.kind, e.region): e.time for e in emulator.emulator.events}
    assert events[("replicated", "eastus")] == START + timedelta(seconds=1000)
    assert events[("replicated", "westus2")] == START + timedelta(seconds=1100), "2 replicas: +10 %"
    assert events[("succeeded", None)] == events[("replicated", "westus2")]


def test_state_moves_with_the_clock_without_requests(
    emulator: RunningEmulator, arm: ComputeManagementClient, virtual_clock: VirtualClock
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm)
    requests = len(emulator.emulator.request_log)
    virtual_clock.advance(timedelta(days=1))  # as a Durable host sharing the clock would
    kinds = [e.kind for e in emulator.emulator.events]
    assert "succeeded" in kinds
    assert len(emulator.emulator.request_log) == requests
    resource = emulator.emulator.resource(get_version(arm).id or "")
    assert resource is not None
    assert resource["properties"]["replicationStatus"]["aggregatedState"] == "Completed"


def test_next_due_tells_a_host_when_to_wake(
    emulator: RunningEmulator, arm: ComputeManagementClient, virtual_clock: VirtualClock
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    assert emulator.emulator.next_due() is None
    start_version(arm)
    due = emulator.emulator.next_due()
    assert due is not None
    assert due > virtual_clock.now()
    virtual_clock.advance_to(due)
    assert ("replicated", "eastus") in [(e.kind, e.region) for e in emulator.emulator.events]
