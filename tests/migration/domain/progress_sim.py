"""A version's replication as the emulator's progress profiles draw it, read on a schedule.

The schedule's tests read the emulator's own curves (``emulator/progress.py``: whole percents,
0..99 while replicating, 100 at the end) at the instants a schedule asks for, with no host and no
clock, and count reads and detection lag; fixed 30-second polling is the baseline.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.polling import PROFILES
from emulator.progress import Curve, draw_profile, weights_of
from migration.domain.polling import PollLimits, VersionTrack, next_read_seconds, observe

__all__ = ["PROFILES"]
START = datetime(2030, 1, 1, tzinfo=UTC)
LIMITS = PollLimits(floor=30, ceiling=900)
REGIONS = 3


@dataclass(frozen=True)
class Region:
    curve: Curve
    duration: float

    def progress(self, at: float) -> int:
        if at >= self.duration:
            return 100
        return max(0, min(99, math.floor(self.curve.percent(at, self.duration) + 1e-6)))


def version(profile: str, length: float, seed: int, regions: int = REGIONS) -> list[Region]:
    """``regions`` regions of ``length`` seconds each, give or take 10 %, drawn as the emulator
    would."""
    drawn_regions = []
    for index in range(regions):
        jitter = random.Random(f"{seed}:{index}:jitter").uniform(0.9, 1.1)
        drawn = draw_profile(
            weights_of(PROFILES[profile]), seed=seed, version_key=f"v{seed}", region=f"r{index}"
        )
        drawn_regions.append(Region(drawn.curve, length * jitter * drawn.stretch))
    return drawn_regions


Schedule = Callable[[dict[str, int], datetime], float]


def adaptive(limits: PollLimits = LIMITS) -> Schedule:
    track: VersionTrack | None = None

    def schedule(progress: dict[str, int], now: datetime) -> float:
        nonlocal track
        track = observe(track, progress, now)
        return next_read_seconds(track, now, limits)

    return schedule


def fixed(seconds: float) -> Schedule:
    return lambda progress, now: seconds


@dataclass(frozen=True)
class Run:
    reads: int
    lag: float


def run(regions: list[Region], schedule: Schedule) -> Run:
    end = max(r.duration for r in regions)
    at, reads = 0.0, 0
    while True:
        progress = {f"r{i}": r.progress(at) for i, r in enumerate(regions)}
        reads += 1
        if all(p >= 100 for p in progress.values()):
            return Run(reads, at - end)
        at += schedule(progress, START + timedelta(seconds=at))


@dataclass(frozen=True)
class Cell:
    """One profile at one length: ours over fixed 30-second polling."""

    reads_ratio: float
    lag_ratio: float
    lag_median: float


def cell(profile: str, length: float, samples: int = 40, regions: int = REGIONS) -> Cell:
    ours = [run(version(profile, length, s, regions), adaptive()) for s in range(samples)]
    base = [run(version(profile, length, s, regions), fixed(30)) for s in range(samples)]
    median = statistics.median(r.lag for r in ours)
    return Cell(
        reads_ratio=statistics.mean(r.reads for r in ours) / statistics.mean(r.reads for r in base),
        lag_ratio=median / statistics.median(r.lag for r in base),
        lag_median=median,
    )
