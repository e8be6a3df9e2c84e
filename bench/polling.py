"""Replication watching against fixed 30-second polling, on every progress profile, with and
without event hints, through the real stack (devhost + emulator) on a virtual clock.

For each progress profile (``emulator/progress.py``) and each mode, one stack runs one migration
per replication length (5 minutes to 6 hours), each of ``--images`` images replicating to three
regions. The modes, in the same run and on the same versions (same names, same seed, so the same
curves and durations):

- ``fixed 30 s``: ``REPLICATION_POLL_MIN = MAX = PT30S``, what a user gets from azure-core's
  poller (az CLI, Terraform, Packer) and the baseline of every ratio;
- ``schedule``: the project's schedule with its default settings, no events;
- ``events``: plus Event Grid version write events delivered in seconds (a few duplicated);
- ``events delayed``: the same, one to five minutes late, some out of order;
- ``events lost``: a subscription whose every event is dropped.

Every stack first runs a two-minute warm-up migration, so that the events modes start as a
deployment that has already seen a hint (when events work; hints are trusted only on evidence).

Per cell: version reads per version, detection lag (the version Succeeded in the emulator to its
watcher knowing: median and 95th percentile), the longest watcher history and the orchestrator
CPU per migration. The JSON line's ratios are the project's over fixed polling's, the worst case
across profiles and the lengths from 30 minutes up.

A cell's median lag comes from its ``--images`` versions only, and fixed polling's lag is where
each completion falls between two ticks: with 20 versions a cell's median may be off by a third
either way (the emulator's seed draws the same durations for every profile but
``spread``, so one low draw lowers every baseline alike). So the line also holds the
``*_pooled`` ratios: per profile, the median of every lag from 30 minutes up (four lengths'
versions together) over fixed polling's. The half-hour and one-hour cells, whose runs are cheap
and whose medians are the closest to twice fixed polling's, are worth a run of their own with
five times the versions (``--lengths "30 min,1 h" --modes "fixed 30 s,schedule,events lost"
--images 100``: under half an hour); the README reports both runs.
"""

from __future__ import annotations

import asyncio
import math
import socket
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from devstack import LocalStack, local_stack, run_until
from emulator import (
    DeliveryBehaviour,
    Emulator,
    EmulatorConfig,
    EventSubscription,
    ReplicationModel,
)
from emulator.events import version_writes
from emulator.progress import DEFAULT_MIX, ProfileName
from migration.durable.jobs import batch_id, decoded, watcher_id
from simclock import VirtualClock

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SUBSCRIPTION = "00000000-0000-4000-8000-0000000be4c1"
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups"
GALLERY = f"{RG}/gallery-rg/providers/Microsoft.Compute/galleries/pollGallery"
REGIONS = ["eastus", "westus2", "centralus"]
TERMINAL = {"Completed", "Failed", "Terminated"}
WEBHOOK = "/runtime/webhooks/eventgrid?functionName=on_version_written"
# A version's duration is its image's size at this pace (no base, no factors but the jitter).
SECONDS_PER_GB = 60.0
WARM_UP_GB = 2

LENGTHS = {"5 min": 300, "30 min": 1800, "1 h": 3600, "3 h": 10800, "6 h": 21600}
#: Lengths the targets (and the JSON line's worst cases) are about.
MEASURED_FROM = 1800
PROFILES: dict[str, ProfileName | dict[ProfileName, float]] = {
    "linear": "linear",
    "queued": "queued",
    "stepped": "stepped",
    "stalled": "stalled",
    "spread": {**DEFAULT_MIX, "spread": 1.0},
    "mix": dict(DEFAULT_MIX),
}
FIXED, SCHEDULE, EVENTS, DELAYED, LOST = (
    "fixed 30 s",
    "schedule",
    "events",
    "events delayed",
    "events lost",
)
MODES: dict[str, tuple[dict[str, str], DeliveryBehaviour | None]] = {
    FIXED: ({"REPLICATION_POLL_MIN": "PT30S", "REPLICATION_POLL_MAX": "PT30S"}, None),
    SCHEDULE: ({}, None),
    EVENTS: (
        {},
        DeliveryBehaviour(delay_seconds=1, delay_jitter_seconds=4, duplicate_probability=0.1),
    ),
    DELAYED: (
        {},
        DeliveryBehaviour(
            delay_seconds=60,
            delay_jitter_seconds=240,
            duplicate_probability=0.2,
            out_of_order_probability=0.2,
            out_of_order_seconds=300,
        ),
    ),
    LOST: ({}, DeliveryBehaviour(drop_probability=1.0)),
}


@dataclass
class Cell:
    profile: str
    length: str
    seconds: int
    mode: str
    versions: int
    reads: float
    lag_median_s: float
    lag_p95_s: float
    history: int
    cpu_s: float
    #: Every version's lag (seconds), for the pooled figures; not in the JSON line.
    lags: tuple[float, ...] = ()

    def to_json(self) -> dict[str, Any]:
        fields = {k: v for k, v in asdict(self).items() if k != "lags"}
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in fields.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def image_id(name: str) -> str:
    return f"{RG}/bench-rg/providers/Microsoft.Compute/images/{name}"


def names(label: str, images: int) -> list[str]:
    return [f"{label.replace(' ', '')}-{i:02d}" for i in range(images)]


def seeder(lengths: dict[str, int], images: int) -> Any:
    def seed(emulator: Emulator) -> None:
        emulator.seed_gallery(GALLERY, location="eastus")
        emulator.seed_image(image_id("warm-up"), location="eastus", os_disk_gb=WARM_UP_GB)
        for label, seconds in lengths.items():
            for name in names(label, images):
                gb = max(1, round(seconds / SECONDS_PER_GB))
                emulator.seed_image(image_id(name), location="eastus", os_disk_gb=gb)

    return seed


def body(sources: list[str]) -> dict[str, Any]:
    return {
        "gallery": GALLERY,
        "images": [{"source": image_id(s), "definition": {"name": s}} for s in sources],
        "targetRegions": [{"name": r} for r in REGIONS],
        "deleteSource": "never",
    }


def emulator_config(profile: str, delivery: DeliveryBehaviour | None, port: int) -> EmulatorConfig:
    model = ReplicationModel(
        base_seconds=0,
        seconds_per_gb=SECONDS_PER_GB,
        source_region_factor=1,
        cross_geography_factor=1,
        per_extra_replica=0,
        profile=PROFILES[profile],
    )
    subscriptions: tuple[EventSubscription, ...] = ()
    if delivery is not None:
        writes = version_writes(f"http://127.0.0.1:{port}{WEBHOOK}")
        subscriptions = (writes.model_copy(update={"delivery": delivery}),)
    return EmulatorConfig(seed=5, replication=model, event_subscriptions=subscriptions)


async def run_stack(profile: str, mode: str, lengths: dict[str, int], images: int) -> list[Cell]:
    settings, delivery = MODES[mode]
    port = free_port()
    clock = VirtualClock(START)
    config = emulator_config(profile, delivery, port)
    async with (
        local_stack(
            clock,
            emulator_config=config,
            settings=settings,
            seed=seeder(lengths, images),
            host_port=port,
        ) as stack,
        aiohttp.ClientSession() as http,
    ):
        warm_up = await start(stack, http, ["warm-up"])
        await until_done(stack, [warm_up], {})
        migrations = {label: await start(stack, http, names(label, images)) for label in lengths}
        longest: dict[str, int] = {}
        await until_done(stack, list(migrations.values()), longest)
        return [
            measure(stack, profile, mode, (label, lengths[label]), migration_id, images, longest)
            for label, migration_id in migrations.items()
        ]


async def start(stack: LocalStack, http: aiohttp.ClientSession, sources: list[str]) -> str:
    async with http.post(f"{stack.api}/migrations", json=body(sources)) as response:
        answer = await response.json()
        if response.status != 202:
            raise RuntimeError(f"start refused: {answer}")
        return str(answer["migrationId"])


async def until_done(stack: LocalStack, ids: list[str], longest: dict[str, int]) -> None:
    """Run until every migration in ``ids`` has ended, noting its watchers' longest history."""
    done: set[str] = set()
    assert isinstance(stack.clock, VirtualClock)

    started: dict[str, int] = {}

    def ended() -> bool:
        for migration_id in ids:
            if migration_id in done:
                continue
            # Batches only ever start: look up only the ones not seen yet.
            found = batches(stack, migration_id, known=started.get(migration_id, 0))
            started[migration_id] = len(found)
            for watcher in map(watcher_id, found):
                instance = stack.host.engine.instance(watcher)
                if instance is not None:
                    longest[migration_id] = max(
                        longest.get(migration_id, 0), instance.history_length
                    )
            # The host's own view (no HTTP, no read model): this runs at every step.
            status = stack.host.get_status(migration_id) or {}
            if status.get("runtimeStatus") in TERMINAL:
                done.add(migration_id)
        return len(done) == len(ids)

    await run_until(stack.host, stack.emulator, stack.clock, ended, max_steps=2_000_000)


def batches(stack: LocalStack, migration_id: str, known: int = 0) -> list[str]:
    """The migration's batch instances started so far (a batch holds at most a few dozen
    images: a length of more images than that runs in several, each with its own watcher), of
    which the first ``known`` are known to have started."""
    count = known
    while stack.host.engine.instance(batch_id(migration_id, count)) is not None:
        count += 1
    return [batch_id(migration_id, index) for index in range(count)]


def seen(stack: LocalStack, batches_run: list[str]) -> dict[str, datetime]:
    """When the migration knew each source's version completed, by source id (lowercase): the
    instant each of its batches' watchers says it read it so."""
    out: dict[str, datetime] = {}
    for watcher in map(watcher_id, batches_run):
        status = stack.host.get_status(watcher) or {}
        watch, results = (decoded(status.get(k)) or {} for k in ("input", "output"))
        watched = {str(v["index"]): v["source"] for v in watch["versions"]}
        for index, result in results.items():
            if result["state"] == "completed":
                out[watched[index].lower()] = datetime.fromisoformat(result["at"])
    return out


def measure(
    stack: LocalStack,
    profile: str,
    mode: str,
    length: tuple[str, int],
    migration_id: str,
    images: int,
    longest: dict[str, int],
) -> Cell:
    label, seconds = length
    batches_run = batches(stack, migration_id)
    known = seen(stack, batches_run)
    succeeded: dict[str, datetime] = {}
    for event in stack.emulator.events:
        key = event.resource_id.lower()
        if event.kind == "succeeded" and "/versions/" in key and key not in succeeded:
            succeeded[key] = event.time
    reads: dict[str, int] = {}
    for request in stack.emulator.request_log:
        if request.operation == "gallery_image_versions.get" and request.status == 200:
            key = request.path.split("?")[0].lower()
            reads[key] = reads.get(key, 0) + 1
    lags, counts = [], []
    for name in names(label, images):
        version = f"{GALLERY}/images/{name}/versions/1.0.0".lower()
        counts.append(reads.get(version, 0))
        at = known.get(image_id(name).lower())
        if at is not None and version in succeeded:
            lags.append((at - succeeded[version]).total_seconds())
    instances = [migration_id, *batches_run, *(watcher_id(b) for b in batches_run)]
    cpu = sum(
        stack.host.instance_stats(i).orchestrator_cpu_seconds
        for i in instances
        if stack.host.engine.instance(i) is not None
    )
    return Cell(
        profile=profile,
        length=label,
        seconds=seconds,
        mode=mode,
        versions=len(lags),
        reads=statistics.mean(counts),
        lag_median_s=statistics.median(lags) if lags else math.nan,
        lag_p95_s=percentile(lags, 0.95),
        history=longest.get(migration_id, 0),
        cpu_s=cpu,
        lags=tuple(lags),
    )


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


def run_one(profile: str, mode: str, lengths: dict[str, int], images: int) -> list[Cell]:
    wall = time.perf_counter()
    cells = asyncio.run(run_stack(profile, mode, lengths, images))
    # Progress on stderr: a full run takes a while, and stdout is the table and the JSON line.
    print(f"{profile} / {mode}: {time.perf_counter() - wall:.0f} s", file=sys.stderr, flush=True)
    return cells


def run_all(
    profiles: list[str], modes: list[str], lengths: dict[str, int], images: int, jobs: int = 1
) -> list[Cell]:
    """Every (profile, mode) stack; ``jobs`` at once, each in a process of its own."""
    stacks = [(p, m) for p in profiles for m in modes]
    if jobs <= 1:
        return [c for p, m in stacks for c in run_one(p, m, lengths, images)]
    from bench.__main__ import quiet_logs

    # Workers log nothing but errors; in this process, the caller decides (tests read logs).
    with ProcessPoolExecutor(jobs, initializer=quiet_logs) as pool:
        runs = [pool.submit(run_one, p, m, lengths, images) for p, m in stacks]
        return [c for run in runs for c in run.result()]


def summary(cells: list[Cell]) -> dict[str, Any]:
    """The worst ratios over fixed polling, from 30 minutes up (lags of events: every length)."""
    by = {(c.profile, c.length, c.mode): c for c in cells}

    def ratios(mode: str, field: str) -> list[float]:
        out = []
        for (profile, length, cell_mode), cell in by.items():
            base = by.get((profile, length, FIXED))
            if cell_mode != mode or base is None or cell.seconds < MEASURED_FROM:
                continue
            ours, theirs = getattr(cell, field), getattr(base, field)
            out.append(ours / theirs if theirs else math.inf)
        return out

    def worst(values: list[float]) -> float | None:
        return round(max(values), 3) if values else None

    def pooled(mode: str) -> list[float]:
        """Per profile: the median of every lag from 30 minutes up over fixed polling's."""
        out = []
        for profile in {c.profile for c in cells}:
            ours, theirs = (
                [
                    lag
                    for c in cells
                    if (c.profile, c.mode) == (profile, m) and c.seconds >= MEASURED_FROM
                    for lag in c.lags
                ]
                for m in (mode, FIXED)
            )
            if ours and theirs:
                out.append(statistics.median(ours) / statistics.median(theirs))
        return out

    events_lags = [c.lag_median_s for c in cells if c.mode == EVENTS]
    return {
        "gets_ratio": worst(ratios(SCHEDULE, "reads")),
        "lag_ratio": worst(ratios(SCHEDULE, "lag_median_s")),
        "lag_ratio_pooled": worst(pooled(SCHEDULE)),
        "gets_ratio_events": worst(ratios(EVENTS, "reads")),
        "lag_median_s_events": worst(events_lags),
        "gets_ratio_lost": worst(ratios(LOST, "reads")),
        "lag_ratio_lost": worst(ratios(LOST, "lag_median_s")),
        "lag_ratio_lost_pooled": worst(pooled(LOST)),
        "gets_ratio_delayed": worst(ratios(DELAYED, "reads")),
        "lag_median_s_delayed": worst([c.lag_median_s for c in cells if c.mode == DELAYED]),
    }


def targets(figures: dict[str, Any]) -> dict[str, bool | None]:
    """The issue's targets (Done when), from the worst cases."""

    def at_most(name: str, limit: float) -> bool | None:
        value = figures.get(name)
        return None if value is None else bool(value <= limit)

    return {
        "reads_quarter_without_events": at_most("gets_ratio", 0.25),
        "lag_twice_without_events": at_most("lag_ratio", 2.0),
        "reads_tenth_with_events": at_most("gets_ratio_events", 0.1),
        "lag_under_10s_with_events": at_most("lag_median_s_events", 9.999),
        "reads_quarter_events_lost": at_most("gets_ratio_lost", 0.25),
        "lag_twice_events_lost": at_most("lag_ratio_lost", 2.0),
    }


def table(cells: list[Cell]) -> Any:
    from rich.table import Table

    out = Table(title="replication watching on devhost + emulator (virtual clock), per version")
    for title in (
        "length",
        "profile",
        "mode",
        "reads",
        "vs 30 s",
        "lag median s",
        "lag p95 s",
        "history",
        "CPU s",
    ):
        out.add_column(title, justify="left" if title in ("length", "profile", "mode") else "right")
    fixed = {(c.profile, c.length): c for c in cells if c.mode == FIXED}
    for cell in sorted(cells, key=lambda c: (c.seconds, c.profile, list(MODES).index(c.mode))):
        base = fixed.get((cell.profile, cell.length))
        ratio = f"{cell.reads / base.reads:.2f}" if base and base.reads else ""
        out.add_row(
            cell.length,
            cell.profile,
            cell.mode,
            f"{cell.reads:.1f}",
            ratio,
            f"{cell.lag_median_s:.1f}",
            f"{cell.lag_p95_s:.1f}",
            str(cell.history),
            f"{cell.cpu_s:.2f}",
        )
    return out


@dataclass(frozen=True)
class Choice:
    """What a run measures, from the command line."""

    profiles: list[str]
    modes: list[str]
    lengths: dict[str, int]
    images: int
    jobs: int


def choose(argv: list[str] | None = None) -> Choice:
    """The run ``argv`` asks for; an unknown profile, mode or length is refused by name before
    anything starts (not as a KeyError in a worker minutes later)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.polling", description=__doc__)
    parser.add_argument("--profiles", default=",".join(PROFILES), help="comma-separated")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated")
    parser.add_argument("--lengths", default=",".join(LENGTHS), help="comma-separated")
    parser.add_argument("--images", type=int, default=20, help="versions per length and mode")
    parser.add_argument("--jobs", type=int, default=2, help="stacks run at once (processes)")
    args = parser.parse_args(argv)
    chosen: dict[str, list[str]] = {}
    for option, known in (("profiles", PROFILES), ("modes", MODES), ("lengths", LENGTHS)):
        picked = [name.strip() for name in getattr(args, option).split(",")]
        unknown = [name for name in picked if name not in known]
        if unknown:
            parser.error(f"--{option}: unknown {unknown}; known: {list(known)}")
        chosen[option] = picked
    if args.images < 1 or args.jobs < 1:
        parser.error("--images and --jobs must be at least 1")
    return Choice(
        profiles=chosen["profiles"],
        modes=chosen["modes"],
        lengths={name: LENGTHS[name] for name in chosen["lengths"]},
        images=args.images,
        jobs=args.jobs,
    )


def main(argv: list[str] | None = None) -> int:
    import json

    from rich.console import Console

    run = choose(argv)
    cells = run_all(run.profiles, run.modes, run.lengths, run.images, run.jobs)
    Console(width=200).print(table(cells))
    figures = summary(cells)
    line = {"bench": "polling", **figures, "targets": targets(figures), "images": run.images}
    line["cells"] = [c.to_json() for c in cells]
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    from bench.__main__ import quiet_logs

    quiet_logs()
    raise SystemExit(main())
