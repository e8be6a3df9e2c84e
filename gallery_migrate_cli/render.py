"""What the command line shows: a migration's progress, its result, the list and the plan.

Everything reads the API's JSON with ``.get``: a field the app does not (yet) send is left out
of the picture rather than failing the command. Colour and animation are the console's to drop
when the output is not a terminal; these are plain renderables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

BAR = 16
PHASE_STYLE = {
    "deleted": "bold green",
    "replicated": "green",
    "kept": "yellow",
    "skipped": "dim",
    "failed": "bold red",
    "blocked": "bold red",
}
RUNTIME_STYLE = {"Completed": "green", "Failed": "bold red", "Terminated": "yellow"}
OUTCOME_TEXT = {
    "allMigrated": "every image migrated",
    "partlyMigrated": "some images migrated",
    "noneMigrated": "no image migrated",
}


def short(resource_id: Any) -> str:
    return str(resource_id or "").rstrip("/").rsplit("/", 1)[-1] or "-"


def when(value: Any) -> str:
    if not value:
        return "-"
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(value)


def bar(progress: Any, style: str = "cyan", width: int = BAR) -> Text:
    """``████░░░░  40%``: the same in a terminal and in a log."""
    percent = max(0, min(100, int(progress or 0)))
    filled = round(width * percent / 100)
    text = Text("█" * filled, style=style)
    text.append("░" * (width - filled), style="dim")
    text.append(f" {percent:>3}%")
    return text


def region_done(region: dict[str, Any]) -> int:
    """How far a region is over all its images: the API's ``progress`` is the mean of those
    still copying only (it drops when one finishes), so weigh in the completed ones."""
    completed = int(region.get("completed") or 0)
    copying = int(region.get("replicating") or 0)
    total = completed + copying + int(region.get("failed") or 0)
    if not total:
        return int(region.get("progress") or 0)
    return round((100 * completed + int(region.get("progress") or 0) * copying) / total)


def counts(summary: Any) -> str:
    if not isinstance(summary, dict) or not summary:
        return "-"
    return ", ".join(f"{count} {phase}" for phase, count in sorted(summary.items()))


# -- one migration -------------------------------------------------------------------------------


def headline(status: dict[str, Any]) -> Text:
    runtime = str(status.get("runtimeStatus") or "?")
    text = Text(f"migration {status.get('id', '?')}  ", style="bold")
    text.append(runtime, style=RUNTIME_STYLE.get(runtime, "cyan"))
    if phase := status.get("phase"):
        text.append(f" · {'stopped in ' if runtime == 'Terminated' else ''}{phase}")
    if outcome := status.get("outcome"):
        text.append(f" · {OUTCOME_TEXT.get(outcome, outcome)}")
    return text


def facts(status: dict[str, Any]) -> Text:
    parts = [
        f"gallery {short(status.get('gallery'))}",
        f"{status.get('imageCount', len(status.get('images') or []))} image(s)",
        f"deleteSource {status.get('deleteSource') or '-'}",
        f"created {when(status.get('createdTime'))}",
    ]
    return Text("  " + " · ".join(parts), style="dim")


def regions_table(regions: Sequence[dict[str, Any]]) -> Table:
    table = Table(title="regions", title_justify="left", box=None, pad_edge=False)
    table.add_column("region")
    table.add_column("progress", no_wrap=True)
    table.add_column("done", justify="right")
    table.add_column("copying", justify="right")
    table.add_column("failed", justify="right")
    for region in regions:
        failed = int(region.get("failed") or 0)
        table.add_row(
            str(region.get("name", "?")),
            bar(region_done(region), "red" if failed else "cyan"),
            str(region.get("completed", 0)),
            str(region.get("replicating", 0)),
            Text(str(failed), style="bold red" if failed else ""),
        )
    return table


def image_regions(image: dict[str, Any]) -> Text:
    regions = image.get("regions") or []
    if not regions:
        targets = ", ".join(str(r.get("name")) for r in image.get("targetRegions") or [])
        return Text(targets or "-", style="dim")
    cell = Text()
    for n, region in enumerate(regions):
        state = str(region.get("state") or "")
        style = {"Completed": "green", "Failed": "bold red"}.get(state, "cyan")
        cell.append(("\n" if n else "") + f"{region.get('name', '?')!s:<14}")
        cell.append_text(bar(region.get("progress"), style, width=10))
    return cell


def images_table(images: Sequence[dict[str, Any]], shown: int, total: int) -> Table:
    table = Table(title="images", title_justify="left", box=None, pad_edge=False)
    table.add_column("image", overflow="fold")
    table.add_column("version", overflow="fold")
    table.add_column("phase")
    table.add_column("regions", no_wrap=True)
    for image in images[:shown]:
        phase = str(image.get("phase") or "-")
        version = f"{image.get('definition') or '-'}/{image.get('version') or '-'}"
        why = image.get("error") or image.get("keptReason")
        cell = Text(phase, style=PHASE_STYLE.get(phase, ""))
        if why:
            cell.append(f"\n{why}", style="dim")
        table.add_row(short(image.get("source")), version, cell, image_regions(image))
    if total > shown:
        table.caption = f"and {total - shown} more image(s): add --images {total} to see them"
    return table


def approval(status: dict[str, Any], commands: Sequence[str]) -> Text | None:
    """The approval prompt, with the exact commands that decide."""
    shown = status.get("approval") or {}
    if not status.get("awaitingApproval"):
        decided = [f"{shown[k]} {k}" for k in ("approved", "rejected", "timedOut") if shown.get(k)]
        return Text("approval: " + ", ".join(decided), style="dim") if decided else None
    text = Text("waiting for approval: ", style="bold yellow")
    text.append(f"{shown.get('undecided', '?')} image(s) undecided")
    if deadline := shown.get("deadline"):
        text.append(f", until {when(deadline)} (then every source is kept)")
    for command in commands:
        text.append(f"\n  {command}", style="bold")
    return text


def migration(
    status: dict[str, Any], *, images: int = 20, commands: Sequence[str] = ()
) -> RenderableType:
    """A migration's status: where it is, each region's and image's progress, what it waits for."""
    parts: list[RenderableType] = [headline(status), facts(status)]
    parts.append(Text(f"  images by phase: {counts(status.get('summary'))}"))
    if regions := status.get("regions"):
        parts.append(regions_table(regions))
    listed = status.get("images") or []
    if listed and images > 0:
        total = max(int(status.get("imageCount") or 0), len(listed))
        parts.append(images_table(listed, images, total))
    for problem in status.get("problems") or []:
        parts.append(Text(f"problem: {problem}", style="red"))
    if status.get("error"):
        parts.append(Text(f"error: {status['error']}", style="red"))
    if (prompt := approval(status, commands)) is not None:
        parts.append(prompt)
    return Group(*parts)


def progress_line(status: dict[str, Any]) -> str:
    """One line per change when the output is not a terminal (logs, CI)."""
    regions = ", ".join(f"{r.get('name')} {region_done(r)}%" for r in status.get("regions") or [])
    line = f"{status.get('runtimeStatus')} {status.get('phase') or '-'}: "
    line += counts(status.get("summary"))
    if regions:
        line += f"; {regions}"
    if status.get("awaitingApproval"):
        line += "; waiting for approval"
    return line


def result(status: dict[str, Any]) -> Table:
    """Per image: the version, how long replication took, and whether its source went."""
    table = Table(title="result", title_justify="left")
    table.add_column("image")
    table.add_column("version")
    table.add_column("replicated in")
    table.add_column("source")
    table.add_column("why / notes")
    for image in status.get("images") or []:
        deleted = bool(image.get("sourceDeleted"))
        why = image.get("error") or image.get("keptReason") or ""
        notes = "; ".join(image.get("notes") or [])
        table.add_row(
            short(image.get("source")),
            f"{image.get('definition') or '-'}/{image.get('version') or '-'}",
            took(image.get("versionStartedAt"), image.get("replicatedAt")),
            Text("deleted" if deleted else "kept", style="green" if deleted else "yellow"),
            "; ".join(part for part in (why, notes) if part),
        )
    return table


def took(start: Any, end: Any) -> str:
    try:
        seconds = datetime.fromisoformat(str(end)) - datetime.fromisoformat(str(start))
    except ValueError:
        return "-"
    total = seconds.total_seconds()
    return f"{int(total // 3600)} h {int(total % 3600 // 60):02d} min"


# -- the list and the plan -------------------------------------------------------------------


def migrations(items: Sequence[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(items)} migration(s)", title_justify="left")
    for name in ("id", "created", "status", "phase", "outcome", "gallery", "images"):
        table.add_column(name, overflow="fold", justify="right" if name == "images" else "left")
    for item in items:
        runtime = str(item.get("runtimeStatus") or "?")
        table.add_row(
            str(item.get("id")),
            when(item.get("createdTime")),
            Text(runtime, style=RUNTIME_STYLE.get(runtime, "cyan")),
            str(item.get("phase") or "-"),
            str(item.get("outcome") or "-"),
            short(item.get("gallery")),
            str(item.get("images", 0)),
        )
    return table


def plan(answer: dict[str, Any]) -> RenderableType:
    table = Table(title=f"plan for {short(answer.get('gallery'))}", title_justify="left")
    for column in ("image", "definition", "version", "regions", "notes / problems"):
        table.add_column(column, overflow="fold")
    for image in answer.get("images") or []:
        definition = image.get("definition") or {}
        name = definition.get("name") if isinstance(definition, dict) else definition
        if isinstance(definition, dict) and definition.get("create"):
            name = f"{name} (new)"
        regions = ", ".join(
            f"{r.get('name')} x{r.get('replicas', '?')}" for r in image.get("targetRegions") or []
        )
        problems = image.get("problems") or []
        said = Text("; ".join(problems), style="bold red") if problems else Text()
        if image.get("skipped"):
            said.append("already migrated", style="dim")
        if notes := "; ".join(image.get("notes") or []):
            said.append(("; " if said else "") + notes, style="dim")
        table.add_row(
            short(image.get("source")),
            str(name or "-"),
            str(image.get("version") or "-"),
            regions or "-",
            said,
        )
    parts: list[RenderableType] = [table]
    for problem in answer.get("problems") or []:
        parts.append(Text(f"problem: {problem}", style="bold red"))
    verdict = "valid: nothing is in the way" if answer.get("valid") else "not valid as it is"
    parts.append(Text(verdict, style="green" if answer.get("valid") else "bold red"))
    return Group(*parts)
