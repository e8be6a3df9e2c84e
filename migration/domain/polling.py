"""When to read a version's replication again: close to the instant it completes, rarely before.

Every read costs an ARM request and an orchestrator replay, and replication takes minutes to
hours, so the schedule tries to read once just after the version completes and seldom before.
Replication progress is a poor clock, though: a region can sit at 0 % while its copy is queued,
report in jumps, stall just short of 100, or take three times as long as its siblings. So the
schedule reads each region's progress as evidence, not as a promise:

- **Nothing to go by** (a region at 0 %, or with only one reading above 0): it is *unknown*, not
  slow. It is read again after :data:`PROBE_GROWTH` times as long as it has gone unchanged, so a
  queued copy costs a few reads, not one a minute.
- **A line**: through a region's first reading above 0 and its latest change (both exact for a
  region that moves steadily, whether or not it was queued first), widened by the rounding of
  whole percents and by how far its readings strayed from that line (its *surprise*: a region
  that jumps has a large one). A reading behind the line, changed or not, counts once the region
  moves again (behind, then caught up, is a jump); one that stays behind is a stall. That gives a
  window, the earliest and latest instant the region can complete. A region that has moved along
  its line :data:`STEADY_MOVES` times and is not behind it is *steady*.
- **A jumpy region** (a surprise of more than :data:`JUMPY_POINTS`) says little through its own
  line, nor do its siblings' lines, so the version's earliest completion is also drawn towards
  its pooled pace (the time watched so far over the mean progress of all its regions, less
  :data:`POOLED_MARGIN`): regions of one version copy the same image, and their mean moves far
  more smoothly than any one of them. A region within a jump of 100 may complete at any moment.
- **The version completes with its last region**: its window runs from the latest of its
  regions' earliest completions to the latest of their latest ones.
- **Siblings**: once one region has completed, the others copying the same image are likely
  close. A sibling that is not steady, or is overdue, may complete at any moment until
  :data:`SIBLING_SPAN` times the instant the first one completed.

Before the window the next read is at its start, but never further away than
:data:`EXTRAPOLATION` of the time watched so far (one reading early on extrapolates poorly), or
:data:`STEADY_EXTRAPOLATION` of it when every region is steady. In the window reads are
:data:`IMMINENT_SECONDS` apart, which finds the completion about as soon as polling every 30
seconds would. Past the window a region stalls: while every region of a version of several is
still going, nothing moves and nothing has told when stalls end, so reads back off by
:data:`STALL_GROWTH` of the time overdue (the first region to complete then brings the siblings'
reads back); a lone region, or the last ones, are read every imminent interval. A region overdue
for longer than it took to get there is stuck rather than stalled: the reads back off by
:data:`STUCK_BACKOFF` of it. Every wait stays within the floor and the ceiling
(``REPLICATION_POLL_MIN``, ``REPLICATION_POLL_MAX``). ``tests/migration/domain/test_polling.py``
holds the schedule to the targets on every progress profile of the emulator.

Times are seconds since the version was first read, so that a track is small plain data the
replication watcher carries across continue-as-new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from migration.domain.facts import Data

#: Seconds between reads while a version may complete at any moment (polling every 30 seconds
#: costs half of that in detection lag on average; this a little more, for fewer reads).
IMMINENT_SECONDS = 35.0
#: The longest wait, as a fraction of the time watched so far, before a version's window opens.
EXTRAPOLATION = 0.5
#: The same when every region is steady: a line confirmed by several moves extrapolates well.
STEADY_EXTRAPOLATION = 2.0
#: Moves along its line before a region counts as steady.
STEADY_MOVES = 3
#: An unknown region is read again after this many times as long as it has gone unchanged.
PROBE_GROWTH = 2.0
#: Points a region may run ahead of its own line before it counts as jumpy (whole-percent
#: rounding alone accounts for up to two).
JUMPY_POINTS = 2.5
#: A jumpy version may complete this much (a fraction) before its pooled pace says.
POOLED_MARGIN = 0.2
#: A region this many of its surprises short of 100 may complete at any moment.
ANY_MOMENT = 1.0
#: While every region of several is overdue or going, reads back off by this fraction of the
#: time overdue.
STALL_GROWTH = 1.0
#: Once a region has completed, a sibling not steady, or overdue, may complete at any moment
#: until this many times the instant the first one did.
SIBLING_SPAN = 1.25
#: Once overdue for longer than it took to get there, reads back off by this fraction of it.
STUCK_BACKOFF = 0.1


@dataclass(frozen=True)
class PollLimits:
    """The floor and the ceiling of every wait, in seconds (``REPLICATION_POLL_MIN``/``MAX``)."""

    floor: float
    ceiling: float

    @property
    def imminent(self) -> float:
        return min(self.ceiling, max(self.floor, IMMINENT_SECONDS))

    def clamp(self, seconds: float) -> float:
        return max(self.floor, min(self.ceiling, seconds))


@dataclass(frozen=True)
class Window:
    """The earliest and the latest instant a region (or a version) can complete."""

    earliest: float
    latest: float


class RegionTrack(Data):
    """What the readings of one region come to (seconds since the version was first read)."""

    #: When it was last read at 0 %.
    zero_at: float = 0.0
    #: Its first reading above 0 %, and when.
    first_at: float | None = None
    first: int = 0
    #: Its latest change, and when.
    changed_at: float = 0.0
    progress: int = 0
    #: How far (points) its readings strayed from its line: at least 1, since whole percents are
    #: rounded. A reading ahead counts at once; one behind (``behind``: the most since its
    #: latest change) only once the region moves again (falling behind and then catching up is
    #: a jump; falling behind for good is a stall).
    surprise: float = 1.0
    behind: float = 0.0
    #: How many readings changed its progress.
    moves: int = 0

    def observe(self, at: float, progress: int) -> RegionTrack:
        """This track after a reading of ``progress`` percent ``at`` seconds in."""
        progress = max(0, min(100, progress))
        if progress < self.progress:
            # Progress never goes back unless the region replicates afresh (a retried region).
            return RegionTrack(zero_at=at).observe(at, progress)
        if progress == 0:
            return self.model_copy(update={"zero_at": at})
        if progress == self.progress:
            if self.first_at is None or self.changed_at <= self.first_at:
                return self
            # Unchanged where the line says it should have moved: behind it (see ``surprise``).
            behind = max(self.behind, self._line(at) - progress - self._rounding(at))
            return self.model_copy(update={"behind": behind}) if behind > self.behind else self
        update: dict[str, float | int] = {
            "changed_at": at,
            "progress": progress,
            "moves": self.moves + 1,
        }
        if self.first_at is None:
            update |= {"first_at": at, "first": progress}
        elif self.changed_at > self.first_at:
            rounding = self._rounding(at)
            ahead = progress - self._line(at)
            update["surprise"] = max(self.surprise, self.behind, 1 + ahead - rounding)
            update["behind"] = max(0.0, 1 - ahead - rounding)
        return self.model_copy(update=update)

    def _rounding(self, at: float) -> float:
        """Points whole-percent rounding explains at ``at``: one at each reading, and the
        slope's error (two points over the line's span) carried on to ``at``."""
        assert self.first_at is not None
        return 1 + 2 * (at - self.changed_at) / (self.changed_at - self.first_at)

    def _line(self, at: float) -> float:
        """Progress at ``at`` along the line from the first reading to the latest change."""
        assert self.first_at is not None
        rate = (self.progress - self.first) / (self.changed_at - self.first_at)
        return self.first + rate * (at - self.first_at)

    @property
    def done(self) -> bool:
        return self.progress >= 100

    @property
    def jumpy(self) -> bool:
        return self.surprise > JUMPY_POINTS

    def steady(self, at: float) -> bool:
        """Whether it has moved along its line often enough, and is not behind it now."""
        if self.moves < STEADY_MOVES or self.jumpy or self.behind > JUMPY_POINTS:
            return False
        if self.first_at is None:
            return False
        return self._line(at) - self.progress <= JUMPY_POINTS

    def unknown_for(self, at: float) -> float | None:
        """How long this region has given nothing to extrapolate from, or None if it has."""
        if self.progress == 0:
            return at
        if self.first_at is None or self.changed_at <= self.first_at:
            return at - self.zero_at
        return None

    def window(self, at: float, sibling: float = 0.0) -> Window:
        """When this region can complete (only for a region with a line: see ``unknown_for``),
        given the instant until which its siblings say it may complete (0: none has yet)."""
        assert self.first_at is not None
        span = self.changed_at - self.first_at
        gained = self.progress - self.first
        slack = self.surprise
        fast = (gained + slack) / span
        slow = max(gained - slack, 1.0) / span
        to_go = 100 - self.progress
        earliest = self.changed_at + max(to_go - slack, 0.0) / fast
        latest = self.changed_at + to_go / slow
        if to_go <= ANY_MOMENT * slack:
            earliest = min(earliest, at)
        if sibling and at <= sibling and (not self.steady(at) or at > latest):
            earliest, latest = min(earliest, at), max(latest, sibling)
        return Window(earliest, max(earliest, latest))


class VersionTrack(Data):
    """A version's regions as read so far, from its first read on."""

    started: datetime
    regions: dict[str, RegionTrack] = Field(default_factory=dict)

    def elapsed(self, now: datetime) -> float:
        return max(0.0, (now - self.started).total_seconds())


def observe(track: VersionTrack | None, progress: Mapping[str, int], now: datetime) -> VersionTrack:
    """``track`` (None before the first read) after reading each region's ``progress``."""
    track = track or VersionTrack(started=now)
    at = track.elapsed(now)
    regions = dict(track.regions)
    for name, percent in progress.items():
        regions[name] = regions.get(name, RegionTrack(zero_at=at)).observe(at, percent)
    return track.model_copy(update={"regions": regions})


def next_read_seconds(track: VersionTrack, now: datetime, limits: PollLimits) -> float:
    """Seconds from ``now`` until the version should be read again (see the module docstring)."""
    at = track.elapsed(now)
    regions = list(track.regions.values())
    going = [r for r in regions if not r.done]
    if not going:
        # No replication status to go by (yet): as for an unknown region.
        return limits.clamp(PROBE_GROWTH * at)
    mean = sum(r.progress for r in regions) / len(regions)
    pooled_end = at * 100 / mean if mean > 0 else float("inf")
    done = [r.changed_at for r in regions if r.done]
    sibling = SIBLING_SPAN * min(done) if done else 0.0
    waits: list[float] = []
    windows: list[Window] = []
    for region in going:
        unknown = region.unknown_for(at)
        if unknown is None:
            windows.append(region.window(at, sibling))
        else:
            waits.append(PROBE_GROWTH * unknown)
    if windows:
        version = Window(max(w.earliest for w in windows), max(w.latest for w in windows))
        steady = all(r.steady(at) for r in going)
        if any(r.jumpy for r in going):
            pooled = min(version.earliest, (1 - POOLED_MARGIN) * pooled_end)
            version = Window(pooled, version.latest)
        cap = STEADY_EXTRAPOLATION if steady else EXTRAPOLATION
        growth = STALL_GROWTH if len(going) > 1 and not done else 0.0
        waits.append(_wait(version, at, limits, cap, growth))
    return limits.clamp(min(waits))


def _wait(window: Window, at: float, limits: PollLimits, cap: float, growth: float) -> float:
    if at < window.earliest:
        return min(window.earliest - at, cap * max(at, limits.floor))
    if at < window.latest:
        # Aim just past the window's end when it closes sooner than the next imminent read.
        return min(limits.imminent, window.latest - at + 1)
    overdue = at - window.latest
    if overdue <= window.latest:
        return max(limits.imminent, growth * overdue)
    return max(limits.imminent, STUCK_BACKOFF * overdue)
