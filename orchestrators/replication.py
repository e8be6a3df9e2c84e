"""Watching replication of a batch's versions until each is Completed, Failed or overdue.

A sub-orchestration, so that its many reads do not lengthen the batch's history (each replay
re-reads the whole history), and one that continues as new every few rounds for the same reason.

Each version keeps its own schedule (``migration/domain/polling.py``): read again close to the
instant its slowest region can complete, rarely while nothing can. A round reads, in one activity,
every version due by then, and those due soon (within a few seconds), so that nearby
schedules share a wake-up without reading any version much before its time.

Event hints (``orchestrators/hints.py``) wake the watcher between rounds: a hint for a version it
watches makes that version due now, unless a read since the write the hint reports has seen it
(so duplicates, late and out-of-order copies cost nothing), and never more than once a floor. The
read decides, never the hint. While hints are
trusted (evidence says they arrive promptly), a version is polled only every
``REPLICATION_POLL_MAX`` as a safety net; one that completes with no hint for it ends that trust.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df
from pydantic import Field

from activities import names
from migration.arm import retry
from migration.domain.facts import Data, RegionStatus, VersionFacts
from migration.domain.hints import TRUST_DELAY_SECONDS, Hint
from migration.domain.ids import parse_gallery_id, resource_key, version_id
from migration.domain.polling import PollLimits, VersionTrack, next_read_seconds, observe
from migration.domain.safety import replication_complete, replication_failed
from migration.durable.jobs import REPLICATION_WATCHER, images_entity
from migration.durable.outcome import Outcome
from migration.durable.status import ReplicationProgress, region_progress
from orchestrators import hints
from orchestrators.calls import call_all
from orchestrators.hints import HintState

bp = df.Blueprint()

# Polls per execution before continuing as new, which bounds the history a replay reads: a round
# is about 8 events (its reads' reservation in the budget, the read, a timer, a signal), so an
# execution stays under 130.
ROUNDS_PER_EXECUTION = 15
# A version may be read this much early to share a round (seconds): little enough not to change
# what its next read learns.
ROUND_SLACK = 5.0


class WatchedVersion(Data):
    index: int
    # The image's position in the migration (its key in the batch's images entity).
    position: int = 0
    source: str
    definition: str
    version: str


class WatchResult(Data):
    state: str  # "completed", "failed" or "timedOut"
    message: str | None = None
    regions: list[RegionStatus] = Field(default_factory=list)
    at: datetime


class WatchInput(Data):
    gallery: str
    versions: list[WatchedVersion]
    deadline: datetime
    poll_min_seconds: float
    poll_max_seconds: float
    # The images entity (its key: the batch's instance id) that hears each image's regions.
    store: str | None = None
    # ARM's buckets (the migration's budget): every round's reads are reserved in them first.
    budget: dict[str, Any] | None = None
    results: dict[str, WatchResult] = Field(default_factory=dict)
    last_regions: dict[str, list[RegionStatus]] = Field(default_factory=dict)
    tracks: dict[str, VersionTrack] = Field(default_factory=dict)
    polled_at: dict[str, datetime] = Field(default_factory=dict)
    # When each version is next due, and the earliest it may be read along with a round.
    due: dict[str, datetime] = Field(default_factory=dict)
    ready: dict[str, datetime] = Field(default_factory=dict)
    last_polled_at: datetime | None = None
    rounds: int = 0
    missing: dict[str, int] = Field(default_factory=dict)
    read_failures: dict[str, int] = Field(default_factory=dict)
    hints: HintState = Field(default_factory=HintState)
    # What the images entity was last told of each version's regions (only changes are sent).
    told: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)

    def pending(self) -> list[WatchedVersion]:
        return [v for v in self.versions if str(v.index) not in self.results]

    @property
    def limits(self) -> PollLimits:
        return PollLimits(self.poll_min_seconds, self.poll_max_seconds)

    @property
    def subscription(self) -> str:
        return parse_gallery_id(self.gallery).subscription

    def version_id(self, watched: WatchedVersion) -> str:
        return version_id(self.gallery, watched.definition, watched.version)

    def plan(self, key: str, now: datetime, wait: float) -> None:
        self.due[key] = now + timedelta(seconds=wait)
        self.ready[key] = now + timedelta(seconds=max(0.0, wait - ROUND_SLACK))


@bp.orchestration_trigger(context_name="context", orchestration=REPLICATION_WATCHER)
def watch_replication(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    watch = WatchInput.from_json(context.get_input())
    context.set_custom_status(_status(watch))
    if not watch.hints.announced:
        hints.announce(context, [watch.version_id(v) for v in watch.pending()])
        watch.hints.announced = True
    listener = hints.Listener(context)
    for _ in range(ROUNDS_PER_EXECUTION):
        now = context.current_utc_datetime
        horizon = now
        if now >= watch.deadline:
            horizon = datetime.max.replace(tzinfo=now.tzinfo)  # a last look at every version
        due = [v for v in watch.pending() if watch.ready.get(str(v.index), now) <= horizon]
        if due:
            items = yield from _poll(context, watch, due)
            for watched, item in zip(due, items, strict=True):
                _record(context, watch, watched, item, now)
            watch.last_polled_at = now
            watch.rounds += 1
            context.set_custom_status(_status(watch))
            _tell_store(context, watch, due)
        pending = watch.pending()
        if not pending:
            break
        if now >= watch.deadline:
            _time_out(context, watch, pending, now)
            break
        if _trust_matters(watch, now) and hints.trust_is_stale(watch.hints, now):
            yield from hints.check_trust(context, watch.hints, watch.subscription)
            _replan(watch, now)
        wake = min(watch.due.get(str(v.index), now) for v in pending)
        hint = yield from listener.wait(min(max(wake, now), watch.deadline))
        if hint is not None:
            _take(context, watch, hint)
        if listener.repeating:
            context.continue_as_new(watch.to_json())
            return None
    else:
        context.continue_as_new(watch.to_json())
        return None
    context.set_custom_status(_status(watch))
    return {key: result.to_json() for key, result in watch.results.items()}


def _trust_matters(watch: WatchInput, now: datetime) -> bool:
    """Whether trusting hints would change a plan: a version due sooner than the ceiling."""
    soon = now + timedelta(seconds=watch.limits.ceiling)
    return any(watch.due.get(str(v.index), now) < soon for v in watch.pending())


def _replan(watch: WatchInput, now: datetime) -> None:
    """Plan each version again from its last read, as trust in hints now says."""
    for watched in watch.pending():
        key = str(watched.index)
        track, last = watch.tracks.get(key), watch.polled_at.get(key)
        if track is None or last is None or key in watch.hints.unread:
            continue
        watch.plan(key, last, _wait(watch, key, track, last))


def _wait(watch: WatchInput, key: str, track: VersionTrack, at: datetime) -> float:
    """Seconds from ``at`` (a read) to the version's next read: while hints are trusted,
    polling is only the safety net."""
    if watch.hints.trusts(key):
        return watch.limits.ceiling
    return next_read_seconds(track, at, watch.limits)


def _poll(
    context: df.DurableOrchestrationContext, watch: WatchInput, due: list[WatchedVersion]
) -> Generator[Any, Any, list[Outcome]]:
    """One activity reads every due version: a round adds two events to the history, not two
    per image, and each replay parses far less."""
    wanted = [{"definition": v.definition, "version": v.version} for v in due]
    (batch,) = yield from call_all(
        context,
        [(names.GET_VERSIONS, {"gallery": watch.gallery, "versions": wanted})],
        watch.budget,
    )
    if not batch.ok:
        return [batch] * len(due)
    return [Outcome.from_json(item) for item in batch.value]


def _record(
    context: df.DurableOrchestrationContext,
    watch: WatchInput,
    watched: WatchedVersion,
    outcome: Outcome,
    now: datetime,
) -> None:
    """Take in one version's read, and say when to read it next."""
    key = str(watched.index)
    limits = watch.limits
    watch.polled_at[key] = now
    prompted = key in watch.hints.unread
    if prompted:
        watch.hints.unread.remove(key)
        watch.hints.prompted_at[key] = now
    if not outcome.ok and outcome.retry_after is not None:
        # ARM asked us to come back later (throttled, transient): no news, not a failure.
        watch.plan(key, now, max(limits.floor, outcome.retry_after))
        return
    if not outcome.ok:
        # Replication goes on whether or not a read fails; give up only on a run of failures.
        failures = watch.read_failures[key] = watch.read_failures.get(key, 0) + 1
        if failures >= retry.READ_FAILURES:
            message = f"could not read replication: {outcome.message}"
            _finish(context, watch, watched, WatchResult(state="failed", message=message, at=now))
        else:
            watch.plan(key, now, min(limits.ceiling, limits.floor * 2**failures))
        return
    watch.read_failures.pop(key, None)
    version = VersionFacts.from_json(outcome.value)
    if not version.exists:
        watch.missing[key] = watch.missing.get(key, 0) + 1
        watch.plan(key, now, limits.floor)
        if watch.missing[key] < retry.MISSING_GRACE:
            return
    else:
        watch.missing.pop(key, None)
    watch.last_regions[key] = version.regions
    track = watch.tracks[key] = observe(
        watch.tracks.get(key), {r.name: r.progress for r in version.regions}, now
    )
    if (failure := replication_failed(version)) is not None:
        result = WatchResult(state="failed", message=failure, regions=version.regions, at=now)
        _finish(context, watch, watched, result)
    elif replication_complete(version, watched.source) is None:
        if watch.hints.trusts(key) and key not in watch.hints.hinted:
            # Trusted hints should have brought this completion: evidence that they did not.
            hints.missed(context, watch.subscription, now)
            watch.hints.trusted = False
        result = WatchResult(state="completed", regions=version.regions, at=now)
        _finish(context, watch, watched, result)
    else:
        if prompted and key not in watch.hints.doubted:
            watch.hints.doubted.append(key)  # the hint was not about completion
        watch.plan(key, now, _wait(watch, key, track, now))


def _take(context: df.DurableOrchestrationContext, watch: WatchInput, hint: Hint) -> None:
    """A hint for a version: read it now, unless a read since the write it reports has seen it
    (duplicates, late and out-of-order copies then cost nothing) or a hint made it read less
    than a floor ago (then one floor after). A hint for a version not watched here, or done, is
    ignored."""
    now: datetime = context.current_utc_datetime
    watched = next(
        (v for v in watch.pending() if resource_key(watch.version_id(v)) == hint.version), None
    )
    if watched is None:
        return
    key = str(watched.index)
    if key not in watch.hints.hinted:
        watch.hints.hinted.append(key)
        delay = hints.heard(context, watch.subscription, hint, now)
        watch.hints.trusted = delay <= TRUST_DELAY_SECONDS
    last, written = watch.polled_at.get(key), hint.written_at()
    if last is not None and written is not None and last >= written + hints.CLOCK_SKEW:
        return
    at = now
    if (prompted := watch.hints.prompted_at.get(key)) is not None:
        at = max(now, prompted + timedelta(seconds=watch.limits.floor))
    if at < watch.due.get(key, at + timedelta(seconds=1)):
        watch.due[key] = watch.ready[key] = at
        if key not in watch.hints.unread:
            watch.hints.unread.append(key)


def _finish(
    context: df.DurableOrchestrationContext,
    watch: WatchInput,
    watched: WatchedVersion,
    result: WatchResult,
) -> None:
    watch.results[str(watched.index)] = result
    hints.release(context, watch.version_id(watched))


def _time_out(
    context: df.DurableOrchestrationContext,
    watch: WatchInput,
    pending: list[WatchedVersion],
    now: datetime,
) -> None:
    for watched in pending:
        result = WatchResult(
            state="timedOut",
            message="replication did not complete before the deadline",
            regions=watch.last_regions.get(str(watched.index), []),
            at=now,
        )
        _finish(context, watch, watched, result)


def _regions(watch: WatchInput, watched: WatchedVersion) -> list[RegionStatus]:
    key = str(watched.index)
    result = watch.results.get(key)
    return (result.regions if result else []) or watch.last_regions.get(key, [])


def _status(watch: WatchInput) -> dict[str, Any]:
    states: dict[str, int] = {}
    for watched in watch.versions:
        result = watch.results.get(str(watched.index))
        state = result.state if result else "replicating"
        states[state] = states.get(state, 0) + 1
    progress = ReplicationProgress(
        polled_at=watch.last_polled_at,
        rounds=watch.rounds,
        regions=region_progress(r for v in watch.versions for r in _regions(watch, v)),
        images=states,
    )
    return progress.to_custom_status()


def _tell_store(
    context: df.DurableOrchestrationContext, watch: WatchInput, read: list[WatchedVersion]
) -> None:
    """Each image just read whose regions changed, as they stand, to its batch's images entity
    (a stall read every minute for an hour sends nothing)."""
    if watch.store is None:
        return
    change = {}
    for watched in read:
        regions = [r.to_json() for r in _regions(watch, watched)]
        if regions and regions != watch.told.get(str(watched.index)):
            change[str(watched.position)] = watch.told[str(watched.index)] = regions
    if change:
        context.signal_entity(images_entity(watch.store), "regions", change)
