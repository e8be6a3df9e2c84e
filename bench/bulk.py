"""``python -m bench.bulk [--images N]``: one migration of a whole estate, selected by scope.

N managed images (default 200) in several resource groups, tagged for migration among others
that are not, are selected by one request's scope and filters and migrated through devhost and
the emulator, with ARM's throttling buckets modelled (reads 250 at 25/s, writes and deletes 200
at 10/s per subscription, and Compute's own policies), on the virtual clock. A reference run of
50 images shows what grows with the fleet and what does not.

Figures: per-phase times (simulated), ARM calls by kind and 429s, the longest history of any
instance, orchestrator CPU (total and per image), and ``wall_to_ideal``: simulated time to
finish over the ideal, the slowest single replication plus the least time the write budget
allows for all the writes. Beside it, the baseline a user gets today (every tool migrates one
image per run, and waits on azure-core's fixed 30-second poller): the images one after another,
each its replication rounded up to the next poll, from this run's own replication times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

from bench.__main__ import quiet_logs
from devstack import LocalStack, local_stack
from emulator import Emulator, EmulatorConfig, FaultConfig
from emulator.audit import unsafe_deletions
from simclock import VirtualClock

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SUBSCRIPTION = "00000000-0000-4000-8000-0000000b0b0b"
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups"
GALLERY = f"{RG}/gallery-rg/providers/Microsoft.Compute/galleries/estate"
GROUPS = ["prod-web", "prod-data", "dev-web", "dev-data", "shared"]
TERMINAL = {"Completed", "Failed", "Terminated"}
# OS disk, data disks, home region: from a small Linux image to a 640 GB database server.
SHAPES = [
    (30, (), "eastus"),
    (64, (), "westus2"),
    (127, (), "eastus"),
    (30, (128,), "northeurope"),
    (64, (256,), "eastus"),
    (127, (512,), "westus2"),
]
POLL = 30.0  # azure-core's default polling interval, what az CLI and Terraform wait between looks
ARM = FaultConfig.model_validate({"throttle": {"enabled": True}})
WRITES = ARM.throttle.writes


@dataclass
class Figures:
    images: int
    failed: int
    selected: int
    select_min: float
    start_versions_min: float
    replication_h: float
    detect_min: float
    delete_min: float
    total_h: float
    ideal_h: float
    wall_to_ideal: float
    baseline_h: float
    speedup: float
    arm_reads: int
    arm_writes: int
    arm_deletes: int
    throttled_responses: int
    instances: int
    max_history_events: int
    orchestrator_cpu_s: float
    orchestrator_cpu_s_per_image: float
    unsafe_deletes: int
    wall_s: float

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def source(group: str, index: int) -> str:
    return f"{RG}/{group}/providers/Microsoft.Compute/images/img-{index:04d}"


def seeder(count: int) -> Any:
    def seed(emulator: Emulator) -> None:
        emulator.seed_gallery(GALLERY, location="eastus")
        for index in range(count):
            os_gb, data, region = SHAPES[index % len(SHAPES)]
            emulator.seed_image(
                source(GROUPS[index % len(GROUPS)], index),
                location=region,
                os_disk_gb=os_gb,
                data_disks_gb=data,
                tags={"migrate": "true"},
            )
        for index in range(count // 10):  # not tagged: the filters leave them
            emulator.seed_image(source(GROUPS[index % len(GROUPS)], 10_000 + index))

    return seed


def request() -> dict[str, Any]:
    return {
        "gallery": GALLERY,
        "scopes": [f"/subscriptions/{SUBSCRIPTION}"],
        "filters": {"tags": {"migrate": "true"}},
        "targetRegions": [
            {"name": "eastus"},
            {"name": "westus2"},
            {"name": "northeurope", "replicaCount": 2},
        ],
        "deleteSource": "afterReplication",
    }


async def run(images: int) -> Figures:
    clock = VirtualClock(START)
    config = EmulatorConfig(seed=5, faults=ARM)
    wall = time.perf_counter()
    async with (
        local_stack(clock, emulator_config=config, seed=seeder(images)) as stack,
        aiohttp.ClientSession() as http,
    ):
        async with http.post(f"{stack.api}/migrations", json=request()) as response:
            answer = await response.json()
            if response.status != 202:
                raise RuntimeError(f"start refused: {answer}")
        migration_id = str(answer["migrationId"])
        final: dict[str, Any] = {}

        async def done() -> bool:
            nonlocal final
            async with http.get(f"{stack.api}/migrations/{migration_id}") as got:
                final = await got.json()
            return final["runtimeStatus"] in TERMINAL

        await stack.host.run_until(done, max_timers=200_000)
        every = await all_images(http, stack, migration_id)
        return measure(images, stack, final, every, time.perf_counter() - wall)


async def all_images(
    http: aiohttp.ClientSession, stack: LocalStack, migration_id: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    url: str | None = f"{stack.api}/migrations/{migration_id}/images?top=200"
    while url:
        async with http.get(url) as got:
            page = await got.json()
        found += page["images"]
        url = page.get("nextUri")
    return found


def measure(
    images: int,
    stack: LocalStack,
    final: dict[str, Any],
    every: list[dict[str, Any]],
    wall: float,
) -> Figures:
    events = stack.emulator.events
    created: dict[str, datetime] = {}
    finished: dict[str, datetime] = {}
    for event in events:
        key = event.resource_id.lower()
        if "/versions/" not in key:
            continue
        # The first of each: a version is PUT again just before its source is deleted (to block
        # its own deletion), which logs a second success that is not its replication's end.
        if event.kind == "created":
            created.setdefault(key, event.time)
        elif event.kind in ("succeeded", "failed"):
            finished.setdefault(key, event.time)
    durations = [(finished[k] - created[k]).total_seconds() for k in finished if k in created]
    log = stack.emulator.request_log
    writes = sum(1 for r in log if r.method in ("PUT", "PATCH", "POST"))
    started = datetime.fromisoformat(final["createdTime"])
    ended = max(datetime.fromisoformat(i["finishedAt"]) for i in every if i.get("finishedAt"))
    first_put = min(created.values(), default=started)
    last_put = max(created.values(), default=started)
    last_done = max(finished.values(), default=started)
    seen = [datetime.fromisoformat(i["replicatedAt"]) for i in every if i.get("replicatedAt")]
    slowest = max(durations, default=0.0)
    # The write budget: all writes at the bucket's refill once its capacity is spent.
    write_floor = max(0.0, (writes - WRITES.capacity) / WRITES.refill_per_second)
    ideal = slowest + write_floor
    total = (ended - started).total_seconds()
    baseline = sum(math.ceil(d / POLL) * POLL for d in durations)
    stats = [stack.host.instance_stats(i.instance_id) for i in stack.host.engine.instances()]
    cpu = sum(s.orchestrator_cpu_seconds for s in stats)
    minutes = 60.0
    return Figures(
        images=images,
        failed=sum(1 for i in every if i["phase"] == "failed"),
        selected=int((final.get("selection") or {}).get("selected", 0)),
        select_min=(first_put - started).total_seconds() / minutes,
        start_versions_min=(last_put - first_put).total_seconds() / minutes,
        replication_h=(last_done - first_put).total_seconds() / 3600,
        detect_min=((max(seen) - last_done).total_seconds() / minutes) if seen else math.nan,
        delete_min=((ended - max(seen)).total_seconds() / minutes) if seen else math.nan,
        total_h=total / 3600,
        ideal_h=ideal / 3600,
        wall_to_ideal=total / ideal if ideal else math.nan,
        baseline_h=baseline / 3600,
        speedup=baseline / total if total else math.nan,
        arm_reads=sum(1 for r in log if r.method == "GET"),
        arm_writes=writes,
        arm_deletes=sum(1 for r in log if r.method == "DELETE"),
        throttled_responses=sum(1 for r in log if r.status == 429),
        instances=len(stats),
        max_history_events=max((s.history_length for s in stats), default=0),
        orchestrator_cpu_s=cpu,
        orchestrator_cpu_s_per_image=cpu / images,
        unsafe_deletes=len(unsafe_deletions(events)),
        wall_s=wall,
    )


ROWS = [
    ("images selected", "selected", "{}"),
    ("failed", "failed", "{}"),
    ("selecting (min)", "select_min", "{:.1f}"),
    ("starting versions (min)", "start_versions_min", "{:.1f}"),
    ("replication (h)", "replication_h", "{:.2f}"),
    ("last copy seen after (min)", "detect_min", "{:.1f}"),
    ("deleting after (min)", "delete_min", "{:.1f}"),
    ("total (h)", "total_h", "{:.2f}"),
    ("ideal (h)", "ideal_h", "{:.2f}"),
    ("wall to ideal", "wall_to_ideal", "{:.3f}"),
    ("baseline: one image per run, 30 s polls (h)", "baseline_h", "{:.1f}"),
    ("faster than the baseline", "speedup", "{:.0f}x"),
    ("ARM reads / writes / deletes", None, ""),
    ("429 answers", "throttled_responses", "{}"),
    ("instances (migration, batches, watchers, entities)", "instances", "{}"),
    ("longest history (events)", "max_history_events", "{}"),
    ("orchestrator CPU (s)", "orchestrator_cpu_s", "{:.2f}"),
    ("orchestrator CPU per image (ms)", None, ""),
    ("unsafe deletes", "unsafe_deletes", "{}"),
    ("wall time (s)", "wall_s", "{:.1f}"),
]


def table(runs: list[Figures]) -> Table:
    out = Table(title="one migration selected by scope (devhost + emulator, ARM's buckets)")
    out.add_column("figure")
    for figures in runs:
        out.add_column(f"{figures.images} images", justify="right")
    for title, name, pattern in ROWS:
        cells = []
        for f in runs:
            if name is not None:
                cells.append(pattern.format(getattr(f, name)))
            elif title.startswith("ARM"):
                cells.append(f"{f.arm_reads} / {f.arm_writes} / {f.arm_deletes}")
            else:
                cells.append(f"{1000 * f.orchestrator_cpu_s_per_image:.1f}")
        out.add_row(title, *cells)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    parser.add_argument("--images", type=int, default=200, help="images in the estate")
    parser.add_argument(
        "--reference", type=int, default=50, help="a smaller run to compare with (0: none)"
    )
    args = parser.parse_args(argv)
    sizes = [n for n in (args.reference, args.images) if n > 0]
    runs = [asyncio.run(run(n)) for n in dict.fromkeys(sizes)]
    Console(width=140).print(table(runs))
    main_run = runs[-1]
    line = main_run.to_json()
    if len(runs) > 1:
        reference = runs[0]
        line["reference"] = reference.to_json()
        line["history_growth"] = round(
            main_run.max_history_events / max(1, reference.max_history_events), 3
        )
        line["cpu_per_image_growth"] = round(
            main_run.orchestrator_cpu_s_per_image
            / max(1e-9, reference.orchestrator_cpu_s_per_image),
            3,
        )
    print(json.dumps({"bench": "bulk", **line}))
    return 1 if any(r.unsafe_deletes or r.failed for r in runs) else 0


if __name__ == "__main__":
    quiet_logs()
    sys.exit(main())
