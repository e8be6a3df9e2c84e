"""The chaos run's figures: totals over rounds, a table, and the JSON line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from bench.chaos.checks import Violation
from bench.chaos.rounds import Played
from emulator import Emulator


@dataclass
class Figures:
    seed: int
    time_scale: float
    rounds: int = 0
    migrations: int = 0
    requests: int = 0
    refused: int = 0
    lost_starts: int = 0
    event_started: int = 0
    images: int = 0
    phases: Counter[str] = field(default_factory=Counter)
    decisions_sent: int = 0
    decisions_lost: int = 0
    kills: int = 0
    restart_s: list[float] = field(default_factory=list)
    storms: int = 0
    rewrites: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    activities_rerun: int = 0
    arm_requests: Counter[str] = field(default_factory=Counter)
    violations: list[Violation] = field(default_factory=list)
    round_wall_s: list[float] = field(default_factory=list)
    wall_s: float = 0.0

    def add(self, played: Played, violations: list[Violation]) -> None:
        self.rounds += 1
        self.migrations += len(played.migrations)
        self.requests += len(played.draw.requests)
        self.refused += len(played.refused)
        self.lost_starts += played.lost_starts
        for tracked in played.migrations.values():
            if (tracked.view.get("trigger") or "") == "eventGrid":
                self.event_started += 1
            self.images += len(tracked.images)
            self.phases.update(str(i.get("phase")) for i in tracked.images)
            self.decisions_sent += len(tracked.sent)
            self.decisions_lost += sum(1 for s in tracked.sent if s.status is None)
        self.kills += played.kills
        self.restart_s += played.restart_wall_s
        self.storms += played.storms
        self.rewrites += len(played.rewritten)
        self.round_wall_s.append(played.wall_s)
        self.violations += violations

    def count_faults(self, emulator: Emulator) -> None:
        """Injected answers from the request log, failed regions from the state log, and
        Event Grid's duplicates and failed attempts (a host that was down) from its record."""
        log = emulator.request_log
        self.arm_requests = Counter(r.operation for r in log)
        faults = Counter(r.fault for r in log if r.fault)
        faults["region_failed"] = sum(1 for e in emulator.events if e.kind == "region_failed")
        deliveries = emulator.deliveries
        faults["eventgrid_duplicate"] = sum(1 for d in deliveries if d.copy == 2 and d.attempt == 1)
        faults["eventgrid_redelivered"] = sum(1 for d in deliveries if d.attempt > 1)
        faults["storm_and_overload_windows"] = self.storms
        faults["images_recaptured"] = self.rewrites
        self.faults = {str(k): v for k, v in sorted(faults.items())}

    @property
    def faults_injected(self) -> int:
        return sum(self.faults.values())

    def to_json(self) -> dict[str, Any]:
        restarts = sorted(self.restart_s)
        return {
            "bench": "chaos",
            "seed": self.seed,
            "time_scale": self.time_scale,
            "rounds": self.rounds,
            "migrations": self.migrations,
            "requests": self.requests,
            "refused": self.refused,
            "lost_starts": self.lost_starts,
            "event_started": self.event_started,
            "images": self.images,
            "phases": dict(sorted(self.phases.items())),
            "decisions_sent": self.decisions_sent,
            "decisions_lost": self.decisions_lost,
            "faults_injected": self.faults_injected,
            "faults": self.faults,
            "activities_rerun": self.activities_rerun,
            "arm_requests": sum(self.arm_requests.values()),
            "arm_requests_most": dict(self.arm_requests.most_common(6)),
            "kills": self.kills,
            "restart_s_median": round(restarts[len(restarts) // 2], 2) if restarts else None,
            "violations": len(self.violations),
            "round_wall_s_max": round(max(self.round_wall_s, default=0.0), 1),
            "wall_s": round(self.wall_s, 1),
        }


def table(figures: Figures) -> Table:
    data = figures.to_json()
    out = Table(title=f"chaos: seed {figures.seed}, time scale {figures.time_scale:g}")
    out.add_column("figure")
    out.add_column("value", justify="right")
    rows = [
        ("rounds", data["rounds"]),
        ("migrations (started by HTTP, by Event Grid)", data["migrations"]),
        ("  by Event Grid", data["event_started"]),
        (
            "requests / refused / answer lost",
            f"{data['requests']} / {data['refused']} / {data['lost_starts']}",
        ),
        ("images (every one in a final phase)", data["images"]),
        *((f"  {phase}", count) for phase, count in data["phases"].items()),
        ("decisions sent / answer lost", f"{data['decisions_sent']} / {data['decisions_lost']}"),
        ("faults injected", data["faults_injected"]),
        *((f"  {kind}", count) for kind, count in data["faults"].items()),
        ("activities re-run", data["activities_rerun"]),
        ("ARM requests", data["arm_requests"]),
        ("host kills (SIGKILL)", data["kills"]),
        ("host restart, median (s)", data["restart_s_median"]),
        ("violations", data["violations"]),
        ("slowest round (s)", data["round_wall_s_max"]),
        ("wall time (s)", data["wall_s"]),
    ]
    for name, value in rows:
        out.add_row(name, str(value))
    return out
