"""The replication schedule: each rule on readings made by hand, then the emulator's profiles.

The profile tests read the emulator's own progress curves (``progress_sim``) and hold the
schedule to the issue's targets where progress carries enough information to meet them (every
profile from three hours up), and to looser bounds below that, where a stepped or stalled region
says too little for any schedule to know its end (docs/architecture.md, "Watching replication").
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.progress import LINEAR
from migration.domain import polling
from migration.domain.polling import PollLimits, RegionTrack, VersionTrack, next_read_seconds
from tests.migration.domain import progress_sim as sim
from tests.migration.domain.progress_sim import START, Region

LIMITS = PollLimits(floor=30, ceiling=900)


def read(*readings: tuple[float, dict[str, int]]) -> VersionTrack:
    """A track after readings ``(seconds since the first read, {region: percent})``."""
    track: VersionTrack | None = None
    for at, progress in readings:
        track = polling.observe(track, progress, START + timedelta(seconds=at))
    assert track is not None
    return track


def wait_after(*readings: tuple[float, dict[str, int]]) -> float:
    at = readings[-1][0]
    return next_read_seconds(read(*readings), START + timedelta(seconds=at), LIMITS)


def test_a_region_at_zero_is_unknown_and_read_again_after_as_long_as_it_has_waited() -> None:
    assert wait_after((0, {"a": 0})) == LIMITS.floor
    growth = polling.PROBE_GROWTH
    assert wait_after((0, {"a": 0}), (200, {"a": 0})) == growth * 200
    assert wait_after((0, {"a": 0}), (200, {"a": 0}), (2000, {"a": 0})) == LIMITS.ceiling


def test_one_reading_above_zero_is_no_line_yet() -> None:
    # Queued until some time after 200 s: the next read comes that bracket (300 s) times the
    # probe's growth after.
    wait = wait_after((0, {"a": 0}), (200, {"a": 0}), (500, {"a": 10}))
    assert wait == polling.PROBE_GROWTH * 300


def test_a_steady_region_is_read_at_its_earliest_completion_within_the_extrapolation_cap() -> None:
    readings = [(0, {"a": 0}), (30, {"a": 1}), (60, {"a": 3})]
    # Two points so close together extrapolate poorly: at most half the time watched so far.
    assert wait_after(*readings) == LIMITS.floor
    readings += [(600, {"a": 30})]
    # Three moves along one line: steady, so the cap is wider (here the window's start rules).
    assert read(*readings).regions["a"].steady(600)
    assert wait_after(*readings) > polling.EXTRAPOLATION * 600
    readings += [(900, {"a": 45}), (1700, {"a": 85})]
    wait = wait_after(*readings)
    # 84 points in 1670 s, 15 to go: done at about 1998 s; read no later, and not much sooner.
    assert 1950 < 1700 + wait <= 1998


def test_in_its_window_a_version_is_read_every_imminent_interval_or_at_the_windows_end() -> None:
    track = read((0, {"a": 0}), (30, {"a": 1}), (1200, {"a": 40}), (2700, {"a": 90}))
    window = track.regions["a"].window(2700)
    for at in (window.earliest + 1, window.latest - 10):
        wait = next_read_seconds(track, START + timedelta(seconds=at), LIMITS)
        assert wait == max(LIMITS.floor, min(polling.IMMINENT_SECONDS, window.latest - at + 1))


def test_a_stall_is_read_every_imminent_interval_and_a_hang_backs_off() -> None:
    readings = [(0, {"a": 0}), (30, {"a": 1}), (1200, {"a": 40}), (2700, {"a": 95})]
    for at in (2800, 3000, 4000, 5500):
        readings.append((at, {"a": 95}))
    assert wait_after(*readings) == polling.IMMINENT_SECONDS
    # Overdue for longer than it took to get there (about 2840 s): stuck, not stalled.
    readings.append((9000, {"a": 95}))
    wait = wait_after(*readings)
    assert wait == pytest.approx(
        polling.STUCK_BACKOFF * (9000 - read(*readings[:-1]).regions["a"].window(0).latest)
    )


def test_straying_from_the_line_marks_a_region_jumpy_but_stalling_does_not() -> None:
    jumped = read((0, {"a": 0}), (60, {"a": 5}), (600, {"a": 10}), (700, {"a": 40}))
    assert jumped.regions["a"].jumpy
    # Behind, then caught up: a jump too.
    caught_up = read(
        (0, {"a": 0}), (60, {"a": 5}), (600, {"a": 50}), (900, {"a": 52}), (1200, {"a": 90})
    )
    assert caught_up.regions["a"].jumpy
    # Behind for good: a stall, which costs a read at most, never a late one.
    stalled = read((0, {"a": 0}), (60, {"a": 5}), (600, {"a": 50}), (1200, {"a": 52}))
    assert not stalled.regions["a"].jumpy
    # Whole-percent rounding over a short line is no surprise: 1 % then 3 % 30 s later, then
    # on a steady 0.053 % a second.
    steady = read((0, {"a": 0}), (30, {"a": 1}), (60, {"a": 3}), (600, {"a": 30}), (900, {"a": 45}))
    assert not steady.regions["a"].jumpy


def test_readings_left_behind_the_line_make_a_region_jumpy_once_it_moves_again() -> None:
    # A stepped region read sparsely: 14 %, 32 %, then 32 % twice where its line said about 46
    # and 62, then 80 %. The last reading is close to the line, but the flat ones were not.
    sparse = [(0, {"a": 0}), (90, {"a": 14}), (570, {"a": 32})]
    flat = [(855, {"a": 32}), (1282, {"a": 32})]
    assert read(*sparse, *flat, (1924, {"a": 80})).regions["a"].jumpy
    assert not read(*sparse, (1924, {"a": 80})).regions["a"].jumpy
    # Behind while flat: no longer steady, though not (yet) jumpy.
    behind = read(*sparse, *flat).regions["a"]
    assert not behind.jumpy
    assert not behind.steady(1282)


def test_a_jumpy_region_pulls_the_whole_version_to_the_pooled_pace() -> None:
    # "b" moves along a line that says 2500 s; "a" jumps. Both copy the same image, so the
    # version may complete at the pooled pace, not only when "b"'s own line says.
    track = read(
        (0, {"a": 0, "b": 0}),
        (60, {"a": 5, "b": 3}),
        (600, {"a": 10, "b": 24}),
        (1200, {"a": 70, "b": 48}),
    )
    assert track.regions["a"].jumpy
    assert not track.regions["b"].jumpy
    pooled_end = 1200 * 100 / 59
    earliest = (1 - polling.POOLED_MARGIN) * pooled_end
    assert track.regions["b"].window(1200).earliest > earliest
    wait = next_read_seconds(track, START + timedelta(seconds=1200), LIMITS)
    assert wait == pytest.approx(earliest - 1200)


STALLED = [(0, {"a": 0, "b": 0}), (30, {"a": 1, "b": 1}), (600, {"a": 40, "b": 38})]
STALLED += [(1300, {"a": 95, "b": 94})] + [(at, {"a": 95, "b": 94}) for at in (1500, 1700)]


def test_a_stall_backs_off_while_every_region_is_still_going() -> None:
    # Both regions overdue and flat: nothing moves, so reads grow apart with the stall.
    track = read(*STALLED)
    latest = max(r.window(1700).latest for r in track.regions.values())
    wait = next_read_seconds(track, START + timedelta(seconds=1700), LIMITS)
    assert wait == pytest.approx(polling.STALL_GROWTH * (1700 - latest))
    assert wait > polling.IMMINENT_SECONDS
    # One region alone has no sibling to tell when stalls end: it is read every imminent
    # interval (until it is stuck).
    alone = read(*[(at, {"a": progress["a"]}) for at, progress in STALLED])
    assert next_read_seconds(alone, START + timedelta(seconds=1700), LIMITS) == (
        polling.IMMINENT_SECONDS
    )


def test_once_a_region_completes_its_siblings_may_complete_at_any_moment() -> None:
    # "a" completes at 1800 s; "b" is stalled: read it every imminent interval from then on,
    # through the sibling span, rather than backing off.
    track = read(*STALLED, (1800, {"a": 100, "b": 94}))
    for at in (1800, 1800 * polling.SIBLING_SPAN - 100):
        assert next_read_seconds(track, START + timedelta(seconds=at), LIMITS) == (
            polling.IMMINENT_SECONDS
        )
    # A jumpy sibling whose own line says much later is due at any moment too, in the span.
    jumpy = read(
        (0, {"a": 0, "b": 0}),
        (60, {"a": 5, "b": 5}),
        (600, {"a": 50, "b": 10}),
        (1000, {"a": 83, "b": 40}),
        (1200, {"a": 100, "b": 45}),
    )
    b = jumpy.regions["b"]
    assert b.jumpy
    assert b.window(1200).earliest > 1200 + polling.IMMINENT_SECONDS
    wait = next_read_seconds(jumpy, START + timedelta(seconds=1200), LIMITS)
    assert wait == polling.IMMINENT_SECONDS


def test_a_region_that_starts_over_is_tracked_afresh() -> None:
    track = read((0, {"a": 0}), (60, {"a": 5}), (600, {"a": 60}), (900, {"a": 0}))
    assert track.regions["a"] == RegionTrack(zero_at=900)


def test_a_version_is_due_with_its_last_region() -> None:
    # "a" may complete at any moment, "b" is only half way: what counts is when "b" can be done
    # (here capped at half the time watched so far), not "a".
    track = read((0, {"a": 0, "b": 0}), (30, {"a": 3, "b": 1}), (1500, {"a": 98, "b": 50}))
    assert next_read_seconds(track, START + timedelta(seconds=1500), LIMITS) == 750


def test_no_replication_status_is_read_like_an_unknown_region() -> None:
    assert wait_after((0, {})) == LIMITS.floor
    assert wait_after((0, {}), (100, {})) == polling.PROBE_GROWTH * 100


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.floats(1, 4000), st.integers(0, 100), st.integers(0, 100)), max_size=30),
    st.floats(1, 120),
    st.floats(121, 3600),
)
def test_every_wait_is_within_the_floor_and_the_ceiling(
    steps: list[tuple[float, int, int]], floor: float, ceiling: float
) -> None:
    limits = PollLimits(floor, ceiling)
    track, at = None, 0.0
    for gap, a, b in steps:
        at += gap
        now = START + timedelta(seconds=at)
        track = polling.observe(track, {"a": a, "b": b}, now)
        assert floor <= next_read_seconds(track, now, limits) <= ceiling


@settings(max_examples=60, deadline=None)
@given(st.floats(300, 6 * 3600))
def test_a_steady_region_is_found_within_an_imminent_interval_of_completing(
    duration: float,
) -> None:
    result = sim.run([Region(LINEAR, duration)], sim.adaptive())
    assert 0 <= result.lag <= polling.IMMINENT_SECONDS
    # A few reads to learn its pace, then about one per ceiling (15 min): polling every 30
    # seconds takes 720 for six hours.
    assert result.reads <= 20 + duration / 900


@pytest.mark.parametrize("profile", sorted(sim.PROFILES))
@pytest.mark.parametrize("minutes", [30, 60, 180, 360])
def test_from_thirty_minutes_up_every_profile_meets_the_targets(profile: str, minutes: int) -> None:
    cell = sim.cell(profile, minutes * 60.0, samples=60)
    assert cell.reads_ratio <= 0.25
    # Twice fixed polling's median lag (15 s in expectation), not its noisy sample median.
    assert cell.lag_median <= 30


@pytest.mark.parametrize("hours", [3, 6])
def test_a_version_in_one_region_meets_the_targets_through_stalls_from_three_hours(
    hours: int,
) -> None:
    # With no sibling to say when a stall ends, a lone stalled region is read every imminent
    # interval: shorter ones cost up to a third of fixed polling's reads (README, limits).
    cell = sim.cell("stalled", hours * 3600.0, samples=40, regions=1)
    assert cell.reads_ratio <= 0.25
    assert cell.lag_median <= 30
