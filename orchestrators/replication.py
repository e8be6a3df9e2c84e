"""Watching replication of a migration's versions until each is Completed, Failed or overdue.

A sub-orchestration, so that its many polls do not lengthen the parent's history (each replay
re-reads the whole history), and one that continues as new every few rounds for the same reason.
It waits for no external event, so continue-as-new cannot drop one.

Each version keeps its own poll schedule, from its own regions' progress: a small image nearly
done is looked at again soon, while a terabyte still copying is left alone for a quarter of an
hour. A round reads, in one activity, every version due by then (or within a minute of it, so
that nearby schedules share a wake-up).
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
from migration.domain.polling import next_poll_seconds
from migration.domain.safety import replication_complete, replication_failed
from migration.durable.jobs import REPLICATION_WATCHER, images_entity
from migration.durable.outcome import Outcome
from migration.durable.status import ReplicationProgress, region_progress
from orchestrators.calls import call_all

bp = df.Blueprint()

# Polls per execution before continuing as new, which bounds the history a replay reads.
ROUNDS_PER_EXECUTION = 20


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
    # ARM's buckets (the migration's Options.buckets): every round's reads are paced in them.
    budget: dict[str, Any] | None = None
    results: dict[str, WatchResult] = Field(default_factory=dict)
    last_regions: dict[str, list[RegionStatus]] = Field(default_factory=dict)
    polled_at: dict[str, datetime] = Field(default_factory=dict)
    due: dict[str, datetime] = Field(default_factory=dict)
    last_polled_at: datetime | None = None
    rounds: int = 0
    missing: dict[str, int] = Field(default_factory=dict)
    read_failures: dict[str, int] = Field(default_factory=dict)

    def pending(self) -> list[WatchedVersion]:
        return [v for v in self.versions if str(v.index) not in self.results]


@bp.orchestration_trigger(context_name="context", orchestration=REPLICATION_WATCHER)
def watch_replication(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    watch = WatchInput.from_json(context.get_input())
    context.set_custom_status(_status(watch))
    for _ in range(ROUNDS_PER_EXECUTION):
        now = context.current_utc_datetime
        horizon = now + timedelta(seconds=watch.poll_min_seconds)
        if now >= watch.deadline:
            horizon = datetime.max.replace(tzinfo=now.tzinfo)  # a last look at every version
        due = [v for v in watch.pending() if watch.due.get(str(v.index), now) <= horizon]
        if due:
            items = yield from _poll(context, watch, due)
            for watched, item in zip(due, items, strict=True):
                _record(watch, watched, item, now)
            watch.last_polled_at = now
            watch.rounds += 1
            context.set_custom_status(_status(watch))
            _tell_store(context, watch, due)
        pending = watch.pending()
        if not pending:
            break
        if now >= watch.deadline:
            _time_out(watch, pending, now)
            break
        wake = min(watch.due.get(str(v.index), now) for v in pending)
        yield context.create_timer(min(max(wake, now), watch.deadline))
    else:
        context.continue_as_new(watch.to_json())
        return None
    context.set_custom_status(_status(watch))
    return {key: result.to_json() for key, result in watch.results.items()}


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


def _record(watch: WatchInput, watched: WatchedVersion, outcome: Outcome, now: datetime) -> None:
    """Take in one version's read, and say when to read it next."""
    key = str(watched.index)
    minimum, maximum = watch.poll_min_seconds, watch.poll_max_seconds
    if not outcome.ok and outcome.retry_after is not None:
        # ARM asked us to come back later (throttled, transient): no news, not a failure.
        wait = max(minimum, outcome.retry_after)
        watch.due[key] = now + timedelta(seconds=wait)
        return
    if not outcome.ok:
        # Replication goes on whether or not a read fails; give up only on a run of failures.
        failures = watch.read_failures[key] = watch.read_failures.get(key, 0) + 1
        if failures >= retry.READ_FAILURES:
            watch.results[key] = WatchResult(
                state="failed", message=f"could not read replication: {outcome.message}", at=now
            )
        else:
            wait = min(maximum, minimum * 2**failures)
            watch.due[key] = now + timedelta(seconds=wait)
        return
    watch.read_failures.pop(key, None)
    version = VersionFacts.from_json(outcome.value)
    if not version.exists:
        watch.missing[key] = watch.missing.get(key, 0) + 1
        watch.due[key] = now + timedelta(seconds=minimum)
        if watch.missing[key] < retry.MISSING_GRACE:
            return
    else:
        watch.missing.pop(key, None)
    before = watch.last_regions.get(key, [])
    since = watch.polled_at.get(key)
    watch.last_regions[key] = version.regions
    watch.polled_at[key] = now
    if (failure := replication_failed(version)) is not None:
        watch.results[key] = WatchResult(
            state="failed", message=failure, regions=version.regions, at=now
        )
    elif replication_complete(version, watched.source) is None:
        watch.results[key] = WatchResult(state="completed", regions=version.regions, at=now)
    else:
        wait = next_poll_seconds(
            {r.name: r.progress for r in before},
            {r.name: r.progress for r in version.regions},
            (now - since).total_seconds() if since else None,
            minimum=minimum,
            maximum=maximum,
        )
        watch.due[key] = now + timedelta(seconds=wait)


def _time_out(watch: WatchInput, pending: list[WatchedVersion], now: datetime) -> None:
    for watched in pending:
        watch.results[str(watched.index)] = WatchResult(
            state="timedOut",
            message="replication did not complete before the deadline",
            regions=watch.last_regions.get(str(watched.index), []),
            at=now,
        )


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
    """Each image just read, its regions as they stand, to its batch's images entity."""
    if watch.store is None:
        return
    change = {
        str(v.position): [r.to_json() for r in _regions(watch, v)]
        for v in read
        if _regions(watch, v)
    }
    if change:
        context.signal_entity(images_entity(watch.store), "regions", change)
