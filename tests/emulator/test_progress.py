"""Progress profiles: the shapes, their draws, and a version's regions following them."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from azure.mgmt.compute import ComputeManagementClient
from pydantic import ValidationError

from emulator import Emulator, EmulatorConfig, FailingRegion, FaultConfig, ReplicationModel
from emulator.progress import (
    DEFAULT_MIX,
    LINEAR,
    SHAPES,
    Curve,
    ProfileName,
    draw_profile,
)
from emulator.records import StateEvent
from emulator.regions import REGIONS
from emulator.replication import replication_seconds
from emulator.resources import RegionReplication, Version
from emulator.testing import START, RunningEmulator, running_emulator
from simclock import VirtualClock
from tests.emulator.helpers import (
    create_definition,
    get_version,
    image_id,
    seed_world,
    start_version,
    version,
)

ONE_HOUR = 3600.0


def curve_of(name: ProfileName, n: int) -> Curve:
    return draw_profile({name: 1.0}, seed=n, version_key=f"v{n}", region="westus2").curve


def samples(curve: Curve, duration: float = ONE_HOUR, points: int = 2000) -> list[float]:
    return [curve.percent(duration * i / points, duration) for i in range(points + 1)]


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_rises_from_0_and_reaches_100_only_at_the_end(name: ProfileName) -> None:
    for n in range(50):
        curve = curve_of(name, n)
        assert curve.name == name
        values = samples(curve)
        assert values[0] == 0
        assert values == sorted(values), "never goes back"
        assert max(values[:-1]) < 100, "100 % only at the end"
        assert values[-1] == 100


def test_queued_sits_at_0_for_10_to_40_percent_of_the_duration() -> None:
    waits = []
    for n in range(200):
        values = samples(curve_of("queued", n))
        waits.append(max(i for i, v in enumerate(values) if v == 0) / (len(values) - 1))
        # After the queue it is a straight line: equal steps in time, equal steps in percent.
        moving = [b - a for a, b in pairwise(values) if b > 0]
        assert max(moving) - min(moving[1:]) < 1e-6
    assert 0.10 <= min(waits) < 0.13
    assert 0.37 < max(waits) <= 0.40


def test_stepped_jumps_5_to_20_points_at_random_instants() -> None:
    instants: set[float] = set()
    for n in range(200):
        curve = curve_of("stepped", n)
        jumps = [(t0, p1 - p0) for (t0, p0), (t1, p1) in pairwise(curve.knots) if t0 == t1]
        assert all(5 <= size <= 20 for _, size in jumps), jumps
        assert sum(size for _, size in jumps) == 100
        assert jumps[-1][0] == 1.0, "the last jump, to 100, is the end"
        flat = [(p0, p1) for (t0, p0), (t1, p1) in pairwise(curve.knots) if t0 != t1]
        assert all(p0 == p1 for p0, p1 in flat), "flat between the jumps"
        instants.update(t for t, _ in jumps[:-1])
    assert len(instants) > 500, "the instants are drawn, not fixed"


def test_stalled_goes_flat_at_90_to_99_for_20_to_40_percent() -> None:
    levels, stalls = set(), []
    for n in range(300):
        values = samples(curve_of("stalled", n), points=1000)
        top = max(values[:-1])
        levels.add(top)
        stalls.append(sum(1 for v in values[:-1] if v == top) / 1000)
    assert levels <= set(map(float, range(90, 100)))
    assert len(levels) == 10
    assert 0.195 <= min(stalls) < 0.23
    assert 0.37 < max(stalls) <= 0.405


@pytest.mark.parametrize("name", SHAPES)
def test_seconds_to_is_the_first_instant_a_percent_is_reached(name: ProfileName) -> None:
    for n in range(30):
        curve = curve_of(name, n)
        for percent in (0, 1, 37, 40, 90, 95, 99):
            at = curve.seconds_to(percent, ONE_HOUR)
            assert curve.percent(at, ONE_HOUR) >= percent - 1e-9
            if at > 0:
                assert curve.percent(at - 1e-3, ONE_HOUR) < percent


def test_linear_gives_exactly_the_old_numbers() -> None:
    """The model before profiles: floor(100 * elapsed / duration), failing at duration * p / 100."""
    rng = random.Random(3)
    for _ in range(20_000):
        duration = rng.uniform(1, 50_000)
        elapsed = rng.uniform(0, duration)
        assert math.floor(LINEAR.percent(elapsed, duration) + 1e-6) == math.floor(
            100 * elapsed / duration + 1e-6
        )
        percent = rng.randint(0, 99)
        assert LINEAR.seconds_to(percent, duration) == duration * percent / 100


def test_draws_are_seeded_by_seed_version_and_region() -> None:
    def draw(seed: int, version_key: str, region: str) -> Any:
        return draw_profile(DEFAULT_MIX, seed=seed, version_key=version_key, region=region)

    assert draw(1, "v", "eastus") == draw(1, "v", "eastus")
    profiles = {draw(s, f"v{n}", r) for s in range(3) for n in range(20) for r in ("a", "b")}
    assert len(profiles) > 100
    names = {profile.curve.name for profile in profiles}
    assert names == set(SHAPES)


def test_the_default_mix_follows_its_weights() -> None:
    regions = ("eastus", "westus2", "northeurope")
    drawn = [
        [draw_profile(DEFAULT_MIX, seed=0, version_key=f"v{n}", region=r) for r in regions]
        for n in range(3000)
    ]
    spread = [regions_ for regions_ in drawn if regions_[0].stretch != 1.0]
    # Spread is drawn once per version: all its regions are stretched, or none.
    assert all(all(p.stretch != 1.0 for p in regions_) for regions_ in spread)
    assert all(1.0 <= p.stretch <= 3.0 for regions_ in spread for p in regions_)
    assert len(spread) / len(drawn) == pytest.approx(DEFAULT_MIX["spread"], abs=0.02)
    shapes = [p.curve.name for regions_ in drawn for p in regions_]
    shape_total = sum(DEFAULT_MIX[s] for s in SHAPES)
    for shape in SHAPES:
        share = shapes.count(shape) / len(shapes)
        assert share == pytest.approx(DEFAULT_MIX[shape] / shape_total, abs=0.02), shape


def test_spread_alone_stretches_straight_lines() -> None:
    profiles = [
        draw_profile({"spread": 1}, seed=0, version_key=f"v{n}", region="eastus")
        for n in range(100)
    ]
    assert {p.curve for p in profiles} == {LINEAR}
    stretches = [p.stretch for p in profiles]
    assert 1.0 <= min(stretches) < 1.1
    assert 2.9 < max(stretches) <= 3.0


def test_profile_is_a_name_or_weights() -> None:
    assert ReplicationModel().profile == DEFAULT_MIX
    assert ReplicationModel(profile="stepped").profile == "stepped"
    assert ReplicationModel.model_validate({"profile": {"queued": 2, "stalled": 1}}).profile == {
        "queued": 2,
        "stalled": 1,
    }
    for bad in ("wavy", {"queued": -1}, {"queued": 0}, {"wavy": 1}):
        with pytest.raises(ValidationError):
            ReplicationModel.model_validate({"profile": bad})


# A version through the API ----------------------------------------------------------------------

REGIONS_3 = (("eastus", 1), ("westus2", 2), ("northeurope", 1))


def replicating(events: list[StateEvent]) -> dict[str, dict[str, Any]]:
    return {e.region or "": e.detail or {} for e in events if e.kind == "replicating"}


def the_version(emulator: Emulator) -> Version:
    """The one version the test made, as the emulator holds it (its regions' curves)."""
    (only,) = emulator.service.core.versions.values()
    return only


def config(profile: Any, **faults: Any) -> EmulatorConfig:
    return EmulatorConfig(
        replication=ReplicationModel(profile=profile), faults=FaultConfig(**faults)
    )


@pytest.mark.parametrize("emulator_config", [config("stepped")])
def test_reported_progress_follows_the_curve_and_completes_at_the_end(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm, body=version(regions=REGIONS_3))
    region = the_version(emulator.emulator).regions[0]
    seen: list[int] = []
    completed_at: datetime | None = None
    while completed_at is None:
        emulator.advance(15)
        status = get_version(arm).replication_status.summary[0]
        assert isinstance(status.progress, int)
        assert 0 <= status.progress <= 100
        elapsed = (emulator.clock.now() - START).total_seconds()
        if status.state == "Completed":
            completed_at = emulator.clock.now()
            assert status.progress == 100
        else:
            assert status.progress == min(
                99, math.floor(region.curve.percent(elapsed, region.duration) + 1e-6)
            )
        seen.append(status.progress)
    assert seen == sorted(seen)
    assert len(set(seen)) < len(seen) / 3, "stepped: the same value for many looks"
    end = START + timedelta(seconds=region.duration)
    assert end <= completed_at < end + timedelta(seconds=15)
    events = {(e.kind, e.region): e.time for e in emulator.emulator.events}
    assert events[("replicated", "eastus")] == region.due


@pytest.mark.parametrize("profile", [*SHAPES, "spread", None])
def test_a_failing_region_fails_at_its_at_progress_under_every_profile(
    profile: ProfileName | None,
) -> None:
    faults = {"failing_regions": {"westus2": FailingRegion(at_progress=40)}}
    mix: Any = profile if profile is not None else DEFAULT_MIX
    clock = VirtualClock(START)
    with running_emulator(clock, config(mix, **faults)) as running:
        arm = running.client()
        seed_world(running.emulator)
        create_definition(arm)
        start_version(arm, body=version(regions=REGIONS_3))
        west = the_version(running.emulator).regions[1]
        fails_at = START + timedelta(seconds=west.curve.seconds_to(40, west.duration))
        assert west.due == fails_at
        clock.advance_to(fails_at - timedelta(seconds=1))
        before = {s.region: s for s in get_version(arm).replication_status.summary}
        assert before["West US 2"].state == "Replicating"
        assert before["West US 2"].progress < 40
        running.advance(1)
        after = {s.region: s for s in get_version(arm).replication_status.summary}
        assert (after["West US 2"].state, after["West US 2"].progress) == ("Failed", 40)
        running.advance(10 * ONE_HOUR)
        assert get_version(arm).replication_status.summary[1].progress == 40


def test_profiles_do_not_depend_on_request_order() -> None:
    names = ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]

    def profiles(order: list[str]) -> dict[tuple[str, str], str]:
        with running_emulator() as running:
            arm = running.client()
            seed_world(running.emulator)
            for name in names:
                running.emulator.seed_image(image_id(f"img{name}"))
            create_definition(arm)
            for name in order:
                running.advance(60)  # each starts at another instant, too
                start_version(arm, name, version(image_id(f"img{name}"), REGIONS_3))
            return {
                (e.resource_id.rsplit("/", 1)[1], e.region or ""): (e.detail or {})["profile"]
                for e in running.emulator.events
                if e.kind == "replicating"
            }

    forward = profiles(names)
    assert forward == profiles(names[::-1])
    assert len(set(forward.values())) > 1, "a mix by default"


@pytest.mark.parametrize("emulator_config", [config("spread")])
def test_spread_stretches_each_region_by_its_own_factor(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm, body=version(regions=REGIONS_3))
    details = replicating(emulator.emulator.events)
    model = ReplicationModel()
    factors = []
    for name, replicas in REGIONS_3:
        base = replication_seconds(
            model,
            seed=0,
            version_key=the_version(emulator.emulator).key,
            region=REGIONS[name],
            source_region=REGIONS["eastus"],
            size_gb=30,
            replicas=replicas,
        )
        assert details[name]["profile"] == "linear+spread"
        factors.append(details[name]["seconds"] / base)
    assert all(1.0 <= f <= 3.0 for f in factors)
    assert len(set(factors)) == 3


def test_region_replication_reports_integers() -> None:
    region = RegionReplication(
        region=REGIONS["eastus"],
        replicas=1,
        storage_account_type="Standard_LRS",
        exclude_from_latest=None,
        start=START,
        duration=1000.0,
        curve=curve_of("stalled", 1),
    )
    progress = [region.progress(START + timedelta(seconds=s)) for s in range(0, 1100, 7)]
    assert all(isinstance(p, int) and 0 <= p <= 99 for p in progress)
    region.state = "Completed"
    assert region.progress(START) == 100
