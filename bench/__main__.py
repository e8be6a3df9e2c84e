"""``python -m bench`` (``make bench``): run the scenarios, print a table, then one JSON line."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from rich.console import Console
from rich.table import Table

from bench.migrations import SCENARIOS, Figures, run_all

COLUMNS = [
    ("scenario", "scenario", "{}"),
    ("images", "images", "{}"),
    ("migrated", "migrated", "{}"),
    ("wall s", "wall_s", "{:.1f}"),
    ("replication h", "replication_h", "{:.2f}"),
    ("seen after min (mean/max)", None, ""),
    ("finish min", "finish_min", "{:.1f}"),
    ("ARM requests", "arm_requests", "{}"),
    ("version polls", "version_polls", "{}"),
    ("429s", "throttled", "{}"),
    ("replays", "replays", "{}"),
    ("max history", "max_history", "{}"),
    ("orch. CPU s", "orchestrator_cpu_s", "{:.2f}"),
    ("unsafe deletes", "unsafe_deletes", "{}"),
]


def table(figures: list[Figures]) -> Table:
    out = Table(title="whole migrations on devhost + emulator (virtual clock)")
    for title, _, _ in COLUMNS:
        out.add_column(title, justify="left" if title == "scenario" else "right")
    for row in figures:
        cells = []
        for _, field, pattern in COLUMNS:
            if field is None:
                cells.append(f"{row.detect_min_mean:.1f} / {row.detect_min_max:.1f}")
            else:
                cells.append(pattern.format(getattr(row, field)))
        out.add_row(*cells)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help="run the scenarios whose name contains this text")
    args = parser.parse_args(argv)
    scenarios = [s for s in SCENARIOS if not args.only or args.only in s.name]
    figures = run_all(scenarios)
    Console(width=200).print(table(figures))
    print(json.dumps({"bench": "migrations", "scenarios": [f.to_json() for f in figures]}))
    return 1 if any(f.unsafe_deletes for f in figures) else 0


def quiet_logs() -> None:
    """The functions log every call; a benchmark's output is its table."""
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("azure", "devhost", "emulator", "aiohttp", "triggers", "activities"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)


if __name__ == "__main__":
    quiet_logs()
    sys.exit(main())
