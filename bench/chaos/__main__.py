"""``python -m bench.chaos --migrations N --seed S``: run chaos rounds until N migrations have
run, check every round, print the table, end with one JSON line; exit 1 on any violation."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from bench.__main__ import quiet_logs
from bench.chaos.checks import Checker
from bench.chaos.draws import EVENT_GRID_GALLERY, OPT_IN_TAG, draw_round, gallery
from bench.chaos.report import Figures, table
from bench.chaos.rounds import Round
from bench.chaos.world import world
from emulator import DeliveryBehaviour, EmulatorConfig, EventSubscription, ReplicationModel

# The app's settings: short replication and approval timeouts keep rounds short in wall time;
# Event Grid's policy migrates images tagged for it, asking for approval.
SETTINGS = {
    "REPLICATION_TIMEOUT": "PT2H",
    "REPLICATION_POLL_MIN": "PT2M",
    "REPLICATION_POLL_MAX": "PT10M",
    "APPROVAL_TIMEOUT": "PT30M",
    "EVENTGRID_GALLERY_ID": EVENT_GRID_GALLERY,
    "EVENTGRID_TARGET_REGIONS": "eastus, westus2",
    "EVENTGRID_DELETE_SOURCE": "afterApproval",
    "EVENTGRID_APPROVAL_TIMEOUT": "PT20M",
    "EVENTGRID_OPT_IN_TAG": OPT_IN_TAG,
}
# Small images replicate in a few simulated minutes; Event Grid delivers late, twice, out of
# order (its delays in simulated seconds).
IMAGE_WRITES = EventSubscription(
    name="chaos-image-writes",
    endpoint="http://127.0.0.1/set-by-the-world",
    included_event_types=("Microsoft.Resources.ResourceWriteSuccess",),
    operation_names=("Microsoft.Compute/images/write",),
    delivery=DeliveryBehaviour(
        delay_seconds=5,
        delay_jitter_seconds=300,
        duplicate_probability=0.3,
        out_of_order_probability=0.2,
        out_of_order_seconds=600,
        max_attempts=6,
    ),
)


def emulator_config(seed: int) -> EmulatorConfig:
    return EmulatorConfig(
        seed=seed,
        replication=ReplicationModel(base_seconds=60, seconds_per_gb=4),
        event_subscriptions=(IMAGE_WRITES,),
    )


async def run(args: argparse.Namespace, workdir: Path) -> Figures:
    rng = random.Random(args.seed)
    figures = Figures(seed=args.seed, time_scale=args.time_scale)
    console = Console(width=120, stderr=True)
    began = time.perf_counter()
    async with world(
        workdir,
        scale=args.time_scale,
        config=emulator_config(args.seed),
        settings=SETTINGS,
        rerun_rate=args.rerun_activities,
    ) as stack:
        stack.emulator.seed_gallery(EVENT_GRID_GALLERY, location="eastus")
        checker = Checker(stack.emulator, stack.host.downtimes)
        known: set[str] = set()
        since = stack.clock.now() - timedelta(minutes=1)
        number = 0
        while figures.migrations < args.migrations or figures.kills < args.min_kills:
            count = max(1, round(args.per_round * rng.uniform(0.6, 1.4)))
            count = max(1, min(count, args.migrations - figures.migrations))
            draw = draw_round(rng, number, count, args.kill_share, args.event_share)
            stack.emulator.seed_gallery(gallery(number), location="eastus")
            played = await Round(stack, draw, rng, args.round_cap).play(known, since)
            known.update(played.migrations)
            since = stack.clock.now() - timedelta(minutes=10)
            violations = checker.check(played)
            figures.add(played, violations)
            _record(workdir / "rounds.jsonl", played.to_json())
            console.print(
                f"round {number}: {len(played.migrations)} migrations, "
                f"{len(played.refused)} refused, {played.kills} kills, "
                f"{len(violations)} violations, {played.wall_s:.1f} s"
            )
            for violation in violations:
                console.print(f"  [red]{violation}[/red]")
            number += 1
        figures.count_faults(stack.emulator)
        figures.activities_rerun = stack.host.count_in_logs(b"re-running activity")
    figures.wall_s = time.perf_counter() - began
    return figures


def _record(path: Path, entry: dict[str, object]) -> None:
    with open(path, "a", encoding="utf-8") as record:
        record.write(json.dumps(entry) + "\n")


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # asyncio.run cancels the run, whose stack stops the host


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--migrations", type=int, default=1000, help="migrations to run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-round", type=int, default=10, help="mean migrations per round")
    parser.add_argument(
        "--time-scale", type=float, default=600, help="simulated seconds per wall second"
    )
    parser.add_argument(
        "--kill-share", type=float, default=0.5, help="share of rounds that kill the host"
    )
    parser.add_argument(
        "--min-kills", type=int, default=0, help="keep running rounds until this many kills"
    )
    parser.add_argument(
        "--event-share", type=float, default=0.2, help="share of images Event Grid migrates"
    )
    parser.add_argument("--rerun-activities", type=float, default=0.05)
    parser.add_argument(
        "--round-cap", type=float, default=240, help="wall seconds a round may take"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep state and logs here")
    args = parser.parse_args(argv)
    # Memory-backed by default: a SIGKILL is what is tested, not the disk.
    shm = Path("/dev/shm")
    workdir = args.workdir or Path(
        tempfile.mkdtemp(prefix="chaos-", dir=shm if shm.is_dir() else None)
    )
    signal.signal(signal.SIGTERM, _interrupted)
    figures = asyncio.run(run(args, workdir))
    Console(width=120).print(table(figures))
    for violation in figures.violations[:50]:
        print(violation)
    if figures.violations:
        print(f"state and host logs kept in {workdir}")
    elif args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(figures.to_json()))
    return 1 if figures.violations else 0


if __name__ == "__main__":
    quiet_logs()
    sys.exit(main())
