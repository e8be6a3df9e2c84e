"""``python -m devhost --app-dir DIR [--port N] [--state FILE] [--time-scale N] [--clock FILE]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from devhost import logs
from devhost.clock_state import clock_for_state
from devhost.config import read_host_config, read_local_settings
from devhost.easy_auth import EasyAuth
from devhost.host import DevHost, default_state_path
from devhost.keys import HostKeys, KeysError
from simclock import ClockFileError


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devhost",
        description="Run an Azure Functions v2 Python app with Durable Functions locally.",
    )
    parser.add_argument("--app-dir", type=Path, required=True, help="folder of function_app.py")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="SQLite file for durable state (default: APP_DIR/.local/devhost/<hub>.sqlite)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="1 (default, or the clock file's): real time; N: N times faster (3600: an hour a "
        "second); 0: virtual time that jumps to the next timer whenever the host is idle",
    )
    parser.add_argument(
        "--clock",
        type=Path,
        default=None,
        metavar="FILE",
        help="clock file that keeps simulated time across restarts; give the same FILE to "
        "`python -m emulator --clock` to share its time (default: next to the state file)",
    )
    parser.add_argument(
        "--keys",
        type=Path,
        default=None,
        metavar="DIR",
        help="enforce auth levels as Azure does, with the keys in DIR (the host's secrets "
        "folder: host.json, <function>.json); default: levels recorded, not enforced",
    )
    parser.add_argument(
        "--generate-keys",
        action="store_true",
        help="create DIR/host.json (a master key and a default function key) if missing",
    )
    parser.add_argument(
        "--easy-auth",
        type=Path,
        default=None,
        metavar="FILE",
        help="App Service Authentication on: client-sent X-MS-CLIENT-PRINCIPAL* headers are "
        "removed; FILE holds the signed-in test principal as JSON (null: nobody)",
    )
    parser.add_argument(
        "--rerun-activities",
        type=float,
        default=0.0,
        metavar="RATE",
        help="share of activities (0 to 1) whose first result is dropped and that run again, "
        "as when Azure loses an activity's completion (at-least-once made visible)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.rerun_activities <= 1:
        parser.error("--rerun-activities takes a rate from 0 to 1")
    if args.generate_keys and args.keys is None:
        parser.error("--generate-keys needs --keys DIR")
    return args


async def run(args: argparse.Namespace) -> int:
    app_dir = args.app_dir.resolve()
    settings = read_local_settings(app_dir)
    hub = read_host_config(app_dir, settings).hub_name
    state = args.state or default_state_path(app_dir, hub)
    try:
        clock = clock_for_state(state, args.time_scale, args.clock)
        keys = HostKeys.open(args.keys, generate=args.generate_keys) if args.keys else None
        easy_auth = EasyAuth.from_file(args.easy_auth) if args.easy_auth else None
    except (ClockFileError, KeysError, OSError, ValueError) as error:
        print(f"devhost: {error}", file=sys.stderr)
        return 2
    host = DevHost(
        app_dir,
        clock=clock,
        state_path=state,
        keys=keys,
        easy_auth=easy_auth,
        activity_rerun_rate=args.rerun_activities,
    )
    host.auto_advance = clock.is_virtual
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    enforced = f"keys: {args.keys} (auth levels enforced)" if keys is not None else "keys: off"
    async with host.serve(args.host, args.port) as base_url:
        lines = [
            f"devhost listening on {base_url}",
            f"state: {state}  clock: {clock!r} at {clock.now().isoformat()}  hub: {host.hub_name}",
            enforced,
            "",
            "Functions:",
            "",
        ]
        for function in host.describe_functions():
            lines += [f"\t{function}", ""]
        _say(lines)
        await stop.wait()
    return 0


def _say(lines: list[str]) -> None:
    # One write under the logging lock: function logs from worker threads may be printing too.
    text = "\n".join(lines) + "\n"
    with logs.output_lock():
        sys.stdout.write(text)
        sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logs.configure_console(logging.INFO)
    try:
        code = asyncio.run(run(args))
    except KeyboardInterrupt:
        code = 130
    if threading.active_count() > 1:
        # A function still running in a worker thread would hold the process open; its work is
        # not lost (the store re-runs unfinished activities), so leave at once.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
