"""Run a whole migration on the embedded emulator: ``python -m demo`` (``make demo``).

The app runs unchanged on devhost; the emulator plays Azure Resource Manager; both share one
clock, sped up so that hours of replication take seconds. Everything goes through the app's HTTP
API, as automation would drive it: a dry run, the start, progress, the approval, the result.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from rich.console import Console
from rich.live import Live

from demo import display
from devstack import local_stack
from devstack import samples as scenario
from emulator import EmulatorConfig
from emulator.audit import unsafe_deletions
from simclock import ScaledClock

TERMINAL = {"Completed", "Failed", "Terminated"}
# Wall seconds between looks at the status.
REFRESH = 0.1


async def call(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with http.request(method, url, json=body) as response:
        payload = await response.json(content_type=None)
        if response.status >= 400:
            raise RuntimeError(f"{method} {url}: {response.status} {payload}")
        return payload


async def run(scale: float, approve: bool, console: Console) -> int:
    wall_start = time.monotonic()
    clock = ScaledClock(scale, start=datetime.now(UTC).replace(microsecond=0))
    settings = {"REPLICATION_POLL_MIN": "PT1M", "REPLICATION_POLL_MAX": "PT10M"}
    async with (
        local_stack(
            clock, emulator_config=EmulatorConfig(seed=7), settings=settings, seed=scenario.seed
        ) as stack,
        aiohttp.ClientSession() as http,
    ):
        status = await migrate(http, stack.api, clock, approve, console)
        audit = unsafe_deletions(stack.emulator.events)
        requests = len(stack.emulator.request_log)
    wall = time.monotonic() - wall_start
    console.print()
    console.print(display.result_table(status))
    deleted = sum(1 for image in status["images"] if image.get("sourceDeleted"))
    simulated = (clock.now() - clock_start(status)).total_seconds() / 3600
    console.print(
        f"{status['runtimeStatus']}: {deleted} of {len(status['images'])} source images deleted, "
        f"{requests} ARM requests, {simulated:.1f} h simulated in {wall:.1f} s"
    )
    if audit:
        console.print(f"[bold red]unsafe deletes: {audit}[/bold red]")
        return 1
    console.print("audit: every deleted image had a Succeeded version replicated everywhere")
    return 0 if status["runtimeStatus"] == "Completed" else 1


async def migrate(
    http: aiohttp.ClientSession, api: str, clock: ScaledClock, approve: bool, console: Console
) -> dict[str, Any]:
    """What automation would do: a dry run, the start, then watching (and approving)."""
    body = scenario.request(clock.now())
    console.rule("dry run: POST /api/migrations/plan")
    plan = await call(http, "POST", f"{api}/migrations/plan", body)
    for image in plan["images"]:
        regions = ", ".join(f"{r['name']} x{r['replicas']}" for r in image["targetRegions"])
        notes = "; ".join(image["notes"])
        console.print(
            f"  {display.short(image['source']):<16} -> {image['definition']['name']}"
            f" {image['version']} in {regions}" + (f" ({notes})" if notes else ""),
            markup=False,
        )
    console.rule("start: POST /api/migrations")
    started = await call(http, "POST", f"{api}/migrations", body)
    console.print(f"  202 Accepted, status at {started['statusUri']}")
    return await watch(http, api, started["migrationId"], clock, approve, console)


def clock_start(status: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(status["createdTime"]).replace("Z", "+00:00"))


async def watch(
    http: aiohttp.ClientSession,
    api: str,
    migration_id: str,
    clock: ScaledClock,
    approve: bool,
    console: Console,
) -> dict[str, Any]:
    url = f"{api}/migrations/{migration_id}"
    approved = False
    status = await call(http, "GET", url)
    with Live(console=console, refresh_per_second=10) as live:
        while True:
            status = await call(http, "GET", url)
            now = clock.now().strftime("%Y-%m-%d %H:%M simulated")
            live.update(display.status_table(status, now))
            if status["runtimeStatus"] in TERMINAL:
                return dict(status)
            if status.get("awaitingApproval") and approve and not approved:
                await call(
                    http,
                    "POST",
                    f"{url}/approve",
                    {"by": "demo script", "reason": "replicated to every region"},
                )
                approved = True
            await asyncio.sleep(REFRESH)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument(
        "--time-scale",
        type=float,
        default=900,
        help="simulated seconds per wall second (default 900: an hour in four seconds)",
    )
    parser.add_argument("--no-approve", action="store_true", help="never approve (times out)")
    parser.add_argument("--verbose", action="store_true", help="show the host's function logs")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        for noisy in ("azure", "devhost", "emulator", "aiohttp"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    console = Console()
    return asyncio.run(run(args.time_scale, not args.no_approve, console))


if __name__ == "__main__":
    sys.exit(main())
