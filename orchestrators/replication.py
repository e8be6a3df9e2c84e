"""Watching replication of a migration's versions until each is Completed, Failed or overdue.

A sub-orchestration, so that its many polls do not lengthen the parent's history (each replay
re-reads the whole history), and one that continues as new every few rounds for the same reason.
It waits for no external event, so continue-as-new cannot drop one.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df
from pydantic import Field

from activities import names
from migration.models import Data, RegionStatus, VersionFacts
from migration.polling import next_poll_seconds
from migration.safety import replication_complete, replication_failed
from orchestrators.calls import call_all

bp = df.Blueprint()

# Polls per execution before continuing as new, which bounds the history a replay reads.
ROUNDS_PER_EXECUTION = 20
# Looks at which a version just created may still be missing (ARM's cache lag) before it
# counts as gone.
MISSING_GRACE = 3


class WatchedVersion(Data):
    index: int
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
    results: dict[str, WatchResult] = Field(default_factory=dict)
    last_regions: dict[str, list[RegionStatus]] = Field(default_factory=dict)
    last_polled_at: datetime | None = None
    rounds: int = 0
    missing: dict[str, int] = Field(default_factory=dict)


@bp.orchestration_trigger(context_name="context", orchestration="watch_replication")
def watch_replication(context: df.DurableOrchestrationContext) -> Generator[Any, Any, Any]:
    watch = WatchInput.from_json(context.get_input())
    context.set_custom_status(_status(watch))
    for _ in range(ROUNDS_PER_EXECUTION):
        pending = [v for v in watch.versions if str(v.index) not in watch.results]
        if not pending:
            break
        outcomes = yield from call_all(
            context,
            [
                (
                    names.GET_VERSION,
                    {"gallery": watch.gallery, "definition": v.definition, "version": v.version},
                )
                for v in pending
            ],
        )
        now = context.current_utc_datetime
        before = _progress(watch.last_regions)
        for watched, outcome in zip(pending, outcomes, strict=True):
            _record(watch, watched, outcome, now)
        elapsed = (now - watch.last_polled_at).total_seconds() if watch.last_polled_at else None
        watch.last_polled_at = now
        watch.rounds += 1
        context.set_custom_status(_status(watch))
        if all(str(v.index) in watch.results for v in watch.versions):
            break
        if now >= watch.deadline:
            for watched in watch.versions:
                watch.results.setdefault(
                    str(watched.index),
                    WatchResult(
                        state="timedOut",
                        message="replication did not complete before the deadline",
                        regions=watch.last_regions.get(str(watched.index), []),
                        at=now,
                    ),
                )
            break
        wait = next_poll_seconds(
            before,
            _progress(watch.last_regions),
            elapsed,
            minimum=watch.poll_min_seconds,
            maximum=watch.poll_max_seconds,
        )
        yield context.create_timer(min(now + timedelta(seconds=wait), watch.deadline))
    else:
        context.continue_as_new(watch.to_json())
        return None
    context.set_custom_status(_status(watch))
    return {key: result.to_json() for key, result in watch.results.items()}


def _record(watch: WatchInput, watched: WatchedVersion, outcome: Any, now: datetime) -> None:
    key = str(watched.index)
    if not outcome.ok:
        watch.results[key] = WatchResult(
            state="failed", message=f"could not read replication: {outcome.message}", at=now
        )
        return
    version = VersionFacts.from_json(outcome.value)
    if not version.exists:
        watch.missing[key] = watch.missing.get(key, 0) + 1
        if watch.missing[key] < MISSING_GRACE:
            return
    else:
        watch.missing.pop(key, None)
    watch.last_regions[key] = version.regions
    if (failure := replication_failed(version)) is not None:
        watch.results[key] = WatchResult(
            state="failed", message=failure, regions=version.regions, at=now
        )
    elif replication_complete(version, watched.source) is None:
        watch.results[key] = WatchResult(state="completed", regions=version.regions, at=now)


def _progress(regions: dict[str, list[RegionStatus]]) -> dict[str, int]:
    return {f"{key}/{r.name}": r.progress for key, found in regions.items() for r in found}


def _status(watch: WatchInput) -> dict[str, Any]:
    images = []
    for watched in watch.versions:
        key = str(watched.index)
        result = watch.results.get(key)
        images.append(
            {
                "index": watched.index,
                "state": result.state if result else "replicating",
                "regions": [
                    r.to_json()
                    for r in (result.regions if result else []) or watch.last_regions.get(key, [])
                ],
            }
        )
    polled = watch.last_polled_at.isoformat() if watch.last_polled_at else None
    return {"polledAt": polled, "rounds": watch.rounds, "images": images}
