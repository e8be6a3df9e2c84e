"""Rendering a migration's status and result with rich."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.table import Table
from rich.text import Text

PHASE_STYLE = {
    "deleted": "bold green",
    "replicated": "green",
    "kept": "yellow",
    "failed": "bold red",
    "blocked": "bold red",
    "skipped": "dim",
}


def short(resource_id: str | None) -> str:
    return (resource_id or "").rstrip("/").rsplit("/", 1)[-1]


STATE_STYLE = {"Completed": "green", "Failed": "bold red", "Replicating": "cyan"}
BAR = 10


def regions_cell(image: dict[str, Any]) -> Text:
    regions = image.get("regions") or []
    if not regions:
        targets = ", ".join(r["name"] for r in image.get("targetRegions") or [])
        return Text(targets or "-", style="dim")
    cell = Text()
    for index, region in enumerate(regions):
        progress = int(region.get("progress") or 0)
        filled = round(BAR * progress / 100)
        state = str(region.get("state", ""))
        if index:
            cell.append("\n")
        cell.append(f"{region['name']:<12}")
        cell.append("█" * filled, style=STATE_STYLE.get(state, ""))
        cell.append("░" * (BAR - filled), style="dim")
        cell.append(f" {progress:>3}%")
    return cell


def took(start: str | None, end: str | None) -> str:
    if not start or not end:
        return "-"
    seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def status_table(status: dict[str, Any], clock_text: str) -> Table:
    title = (
        f"migration {status['id']}  {status['runtimeStatus']} / {status.get('phase') or '-'}"
        f"  [dim]{clock_text}[/dim]"
    )
    table = Table(title=title, expand=True)
    table.add_column("image", overflow="fold")
    table.add_column("version", overflow="fold")
    table.add_column("phase")
    table.add_column("regions", no_wrap=True, min_width=12 + BAR + 5)
    for image in status.get("images") or []:
        phase = image.get("phase", "")
        version = f"{image.get('definition') or '-'}/{image.get('version') or '-'}"
        table.add_row(
            short(image.get("source")),
            version,
            Text(phase, style=PHASE_STYLE.get(phase, "")),
            regions_cell(image),
        )
    if status.get("awaitingApproval"):
        table.caption = "waiting for approval"
    return table


def result_table(status: dict[str, Any]) -> Table:
    table = Table(title="result", expand=True)
    table.add_column("image")
    table.add_column("version")
    table.add_column("replicated in")
    table.add_column("source")
    table.add_column("why / notes")
    for image in status.get("images") or []:
        deleted = image.get("sourceDeleted")
        why = image.get("error") or image.get("keptReason") or ""
        notes = "; ".join(image.get("notes") or [])
        table.add_row(
            short(image.get("source")),
            short(image.get("definition")) + "/" + (image.get("version") or "-"),
            took(image.get("versionStartedAt"), image.get("replicatedAt")),
            Text("deleted" if deleted else "kept", style="green" if deleted else "yellow"),
            "; ".join(part for part in (why, notes) if part),
        )
    approval = status.get("approval") or {}
    if approval.get("decision"):
        table.caption = f"approval: {approval['decision']} by {approval.get('by')}"
    return table
