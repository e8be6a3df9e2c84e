"""``python -m emulator``: serve the emulator until interrupted.

Prints ``emulator listening on http://HOST:PORT`` once the socket accepts connections; tools that
start the emulator wait for that line (``--port 0`` picks a free port and the line names it).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from emulator.config import (
    EmulatorConfig,
    EventSubscription,
    FailingRegion,
    FaultConfig,
    ReplicationModel,
    ThrottleConfig,
)
from emulator.events import version_writes
from emulator.seeding import SeedData
from emulator.server import Emulator
from simclock import clock_for_scale, open_clock


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="Serve the ARM compute API subset on loopback."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8480, help="0 picks a free port")
    parser.add_argument("--seed", metavar="FILE", help="galleries and images to start with (JSON)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="simulated seconds per wall second: 1 real (default, or the clock file's), 60 an "
        "hour a minute, 0 virtual (advance with POST /_emulator/advance)",
    )
    parser.add_argument(
        "--clock",
        type=Path,
        metavar="FILE",
        help="clock file shared with other processes (`python -m devhost --clock FILE`): "
        "simulated time agrees between them and runs on across restarts",
    )
    parser.add_argument("--config", metavar="FILE", help="an EmulatorConfig as JSON")
    parser.add_argument(
        "--faults", metavar="FILE", help="a FaultConfig as JSON (replaces the config's)"
    )
    parser.add_argument("--random-seed", type=int, help="seed for replication jitter and faults")
    parser.add_argument("--page-size", type=int, help="items per page in list responses")
    parser.add_argument("--throttle", action="store_true", help="turn on Azure's throttling limits")
    parser.add_argument("--error-rate", type=float, help="probability of a random 500/503")
    parser.add_argument("--latency", type=float, help="simulated seconds added to every request")
    parser.add_argument(
        "--fail-region",
        action="append",
        default=[],
        metavar="REGION",
        help="a region whose replication fails half-way (repeatable)",
    )
    parser.add_argument(
        "--cache-lag", type=int, metavar="N", help="a just-created child answers 404 N times"
    )
    parser.add_argument(
        "--progress-profile",
        metavar="NAME|NAME=W,...",
        help="how replication progress moves: linear, queued, stepped, stalled, spread, "
        "or weights such as queued=2,stepped=1 (default: a mix)",
    )
    parser.add_argument("--event-grid-webhook", metavar="URL", help="image writes go here")
    parser.add_argument("--eventgrid-schema", choices=("EventGrid", "CloudEvents"))
    parser.add_argument(
        "--version-events-webhook",
        metavar="URL",
        help="a subscription to version writes (ResourceWriteSuccess/Failure) at URL",
    )
    parser.add_argument(
        "--event-subscription",
        action="append",
        default=[],
        metavar="JSON|FILE",
        help="an EventSubscription as JSON, or a file holding one (repeatable)",
    )
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> EmulatorConfig:
    config = EmulatorConfig.from_file(args.config) if args.config else EmulatorConfig()
    faults = FaultConfig.from_file(args.faults) if args.faults else config.faults
    fault_updates = _given(
        args,
        random_seed="seed",
        error_rate="error_rate",
        latency="latency_seconds",
        cache_lag="cache_lag_requests",
    )
    if args.fail_region:
        fault_updates["failing_regions"] = {
            **faults.failing_regions,
            **{region: FailingRegion() for region in args.fail_region},
        }
    if args.throttle:
        fault_updates["throttle"] = ThrottleConfig.model_validate(
            {**faults.throttle.model_dump(), "enabled": True}
        )
    faults = FaultConfig.model_validate({**faults.model_dump(), **fault_updates})
    updates = _given(
        args,
        random_seed="seed",
        page_size="page_size",
        event_grid_webhook="event_grid_webhook",
        eventgrid_schema="eventgrid_schema",
    )
    subscriptions = [*config.event_subscriptions, *map(_subscription, args.event_subscription)]
    if args.version_events_webhook is not None:
        schema = args.eventgrid_schema or config.eventgrid_schema
        subscriptions.append(version_writes(args.version_events_webhook, schema))
    updates["event_subscriptions"] = subscriptions
    if args.progress_profile is not None:
        updates["replication"] = ReplicationModel.model_validate(
            {**config.replication.model_dump(), "profile": _profile(args.progress_profile)}
        )
    return EmulatorConfig.model_validate({**config.model_dump(), **updates, "faults": faults})


def _subscription(text: str) -> EventSubscription:
    """``--event-subscription``: inline JSON (starting with ``{``) or a file's."""
    source = text if text.lstrip().startswith("{") else Path(text).read_text(encoding="utf-8")
    return EventSubscription.model_validate_json(source)


def _profile(text: str) -> str | dict[str, float]:
    """``stepped`` as itself, ``queued=2,stepped=1`` as weights (checked by the model)."""
    if "=" not in text:
        return text.strip()
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        try:
            weights[name.strip()] = float(weight)
        except ValueError:
            raise ValueError(f"--progress-profile: {part!r} is not NAME=WEIGHT") from None
    return weights


def _given(args: argparse.Namespace, **fields: str) -> dict[str, object]:
    """``{field: value}`` for each ``flag=field`` whose flag was given on the command line."""
    return {
        field: getattr(args, flag)
        for flag, field in fields.items()
        if getattr(args, flag) is not None
    }


async def serve(emulator: Emulator, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with emulator.serve(host, port) as base_url:
        print(f"emulator listening on {base_url}", flush=True)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr)
    try:
        config = build_config(args)
        if args.clock:
            clock = open_clock(args.clock, args.time_scale)
        else:
            clock = clock_for_scale(args.time_scale)
        emulator = Emulator(clock, config)
        if args.seed:
            emulator.seed(SeedData.from_file(args.seed))
    except (OSError, ValueError) as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 2
    asyncio.run(serve(emulator, args.host, args.port))
    return 0
