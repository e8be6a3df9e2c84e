"""How a region's replication progress moves over its duration: the progress profiles.

Real replication rarely rises in a straight line: a region sits at 0 % while its copy is queued,
the reported percentage moves in jumps, it stalls just short of the end, and regions of one
version finish far apart. A straight line is the one case a client's extrapolation ("40 % after
ten minutes, so fifteen more") gets exactly right, so the emulator draws other shapes too.

A profile is a :class:`Curve`: knots ``(fraction of the duration, percent)`` joined by straight
lines, non-decreasing in both, from ``(0, 0)`` to ``(1, 100)``; two knots at the same fraction make
a jump. Progress is read off the curve when someone looks (state changes stay on the timeline),
and a failing region's failure instant is the first moment its curve reaches ``at_progress``.

Every draw comes from a generator seeded with ``(seed, version, region)`` (``(seed, version)``
for whether a version is spread), apart from the one that draws the duration's jitter, so a run
is reproducible whatever order requests arrive in and ``linear`` keeps the durations it had.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

ProfileName = Literal["linear", "queued", "stepped", "stalled", "spread"]
#: The profiles that shape one region's curve; ``spread`` is a property of a whole version.
SHAPES: tuple[ProfileName, ...] = ("linear", "queued", "stepped", "stalled")
#: The default mix (the emulator's choice; see docs/emulator.md): mostly queued and stepped,
#: some stalls, a few straight lines; ``spread`` is the chance that a version is spread.
DEFAULT_MIX: dict[ProfileName, float] = {
    "linear": 0.1,
    "queued": 0.3,
    "stepped": 0.3,
    "stalled": 0.15,
    "spread": 0.15,
}

# The ranges each profile draws from (fractions of the region's duration, or percent).
QUEUED_FOR = (0.10, 0.40)
STEP_POINTS = (5, 20)
STALL_AT = (90, 99)
STALLED_FOR = (0.20, 0.40)
SPREAD_FACTOR = (1.0, 3.0)

Knot = tuple[float, float]


@dataclass(frozen=True)
class Curve:
    """A region's progress over its duration (see the module docstring)."""

    name: str
    knots: tuple[Knot, ...]

    def percent(self, elapsed: float, duration: float) -> float:
        """Progress (0..100, unrounded) ``elapsed`` seconds into ``duration``."""
        value = self.knots[0][1]
        for (t0, p0), (t1, p1) in pairwise(self.knots):
            start, end = t0 * duration, t1 * duration
            if elapsed >= end:
                value = p1  # a jump counts from its instant on
                continue
            if elapsed > start:
                # Written as the old linear model wrote it, so ``linear`` gives the same numbers.
                value = p0 + (p1 - p0) * (elapsed - start) / (end - start)
            break
        return value

    def seconds_to(self, percent: float, duration: float) -> float:
        """The first instant (seconds into ``duration``) at which progress reaches ``percent``."""
        if percent <= self.knots[0][1]:
            return 0.0
        for (t0, p0), (t1, p1) in pairwise(self.knots):
            if p1 >= percent:  # then p0 < percent: earlier segments ended below it
                return t0 * duration + (percent - p0) * (t1 - t0) * duration / (p1 - p0)
        return duration


LINEAR = Curve("linear", ((0.0, 0.0), (1.0, 100.0)))


@dataclass(frozen=True)
class RegionProfile:
    """What a region draws: its curve and the factor its duration is stretched by."""

    curve: Curve
    #: 1 unless the version is ``spread``; then in ``SPREAD_FACTOR``.
    stretch: float = 1.0

    @property
    def name(self) -> str:
        return f"{self.curve.name}+spread" if self.stretch != 1.0 else self.curve.name


def weights_of(profile: ProfileName | dict[ProfileName, float]) -> dict[ProfileName, float]:
    """A profile name as weights (``{"queued": 1}``); weights as given."""
    return {profile: 1.0} if isinstance(profile, str) else dict(profile)


def draw_profile(
    weights: dict[ProfileName, float], *, seed: int, version_key: str, region: str
) -> RegionProfile:
    """The profile of ``region`` in the version ``version_key``.

    ``spread`` weighs against the total: a version is spread with probability
    ``weights["spread"] / sum(weights)``, drawn once per version. Each region's shape is drawn
    among the other profiles by their weights (``linear`` when they are all zero)."""
    total = sum(weights.values())
    spread_weight = weights.get("spread", 0.0)
    spread = random.Random(f"{seed}:{version_key}:spread").random() * total < spread_weight
    rng = random.Random(f"{seed}:{version_key}:{region}:profile")
    shapes = [shape for shape in SHAPES if weights.get(shape, 0.0) > 0]
    name = rng.choices(shapes, [weights[s] for s in shapes])[0] if shapes else "linear"
    curve = _CURVES[name](rng)
    return RegionProfile(curve, rng.uniform(*SPREAD_FACTOR) if spread else 1.0)


def _linear(rng: random.Random) -> Curve:
    return LINEAR


def _queued(rng: random.Random) -> Curve:
    """0 % for a while (the copy waits its turn), then a straight line to 100."""
    queued = rng.uniform(*QUEUED_FOR)
    return Curve("queued", ((0.0, 0.0), (queued, 0.0), (1.0, 100.0)))


def _stepped(rng: random.Random) -> Curve:
    """Jumps of 5 to 20 points at random instants; the last one, to 100, at the end."""
    levels: list[int] = []
    level = 0
    low, high = STEP_POINTS
    # Leave at least ``low`` points for the final jump, so that every jump is in range.
    while 100 - level > high:
        level += rng.randint(low, min(high, 100 - level - low))
        levels.append(level)
    instants = sorted(rng.random() for _ in levels)
    knots: list[Knot] = [(0.0, 0.0)]
    previous = 0.0
    for instant, reached in zip(instants, levels, strict=True):
        knots += [(instant, previous), (instant, float(reached))]
        previous = float(reached)
    knots += [(1.0, previous), (1.0, 100.0)]
    return Curve("stepped", tuple(knots))


def _stalled(rng: random.Random) -> Curve:
    """A straight line to 90-99 %, flat for 20-40 % of the duration, then 100 at the end."""
    stall_at = float(rng.randint(*STALL_AT))
    stalled_for = rng.uniform(*STALLED_FOR)
    return Curve(
        "stalled", ((0.0, 0.0), (1.0 - stalled_for, stall_at), (1.0, stall_at), (1.0, 100.0))
    )


_CURVES = {"linear": _linear, "queued": _queued, "stepped": _stepped, "stalled": _stalled}
