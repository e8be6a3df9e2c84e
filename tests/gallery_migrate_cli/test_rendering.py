"""The progress a person sees, through rich's recording console; and what a log gets."""

from __future__ import annotations

import itertools
import re

from rich.console import Console

from gallery_migrate_cli import render
from gallery_migrate_cli.exits import Exit
from tests.gallery_migrate_cli.conftest import Run
from tests.stack import GALLERY, Stack, image_id

FLAGS = ("--gallery", GALLERY, "--region", "eastus", "--region", "westus2=2")
ANSI = re.compile(r"\x1b\[")


async def started(cli: Run) -> str:
    ran = await cli("start", *FLAGS, "--image", image_id("web"), "--image", image_id("app"))
    assert ran.code == Exit.OK, ran.err
    return ran.out.split()[1]


async def test_watch_in_a_terminal_shows_live_bars_per_region_and_image(
    cli: Run, stack: Stack
) -> None:
    migration_id = await started(cli)
    ran = await cli("watch", migration_id, terminal=True)
    assert ran.code == Exit.AWAITING_APPROVAL
    assert ANSI.search(ran.out), "a terminal gets colour"
    shown = ran.console.export_text()
    frames = shown.split(f"migration {migration_id}")[1:]
    assert len(frames) >= 5, "one frame per look at the status"
    # Early on the regions are on their way; at the end each is done, with each image's bars.
    percents = [int(p) for p in re.findall(r"eastus\s+[█░]+\s+(\d+)%", frames[1])]
    assert percents
    assert max(percents) < 100
    last = frames[-1]
    assert re.search(r"eastus\s+█{16}\s+100%\s+2\s+0\s+0", last), last
    assert re.search(r"westus2\s+█{16}\s+100%", last)
    assert re.search(r"web\s+web/1\.0\.0\s+replicated\s+eastus\s+█{10} 100%", last), last
    assert "waiting for approval: 2 image(s) undecided" in last
    assert f'gallery-migrate approve {migration_id} --by "$USER"' in last
    # The reason's placeholder comes with its flag, before the target's flags.
    assert f'gallery-migrate reject {migration_id} --by "$USER" --reason "why" --endpoint' in last


async def test_watch_into_a_log_prints_a_line_per_change_without_colour(
    cli: Run, stack: Stack
) -> None:
    migration_id = await started(cli)
    ran = await cli("watch", migration_id, "--approve-as", "ops")
    assert ran.code == Exit.OK, ran.err
    assert not ANSI.search(ran.out)
    assert "█" not in ran.out.split("result")[0], "no bars in a log"
    lines = [line for line in ran.out.splitlines() if line.startswith(("Running", "Completed"))]
    assert lines[0].startswith("Running ")
    assert lines[-1] == "Completed done: 2 deleted; eastus 100%, westus2 100%"
    assert all(a != b for a, b in itertools.pairwise(lines)), "only changes"
    assert any("waiting for approval" in line for line in lines)
    assert "every image migrated" in ran.out


def test_a_status_with_fields_missing_still_renders() -> None:
    console = Console(record=True, width=100)
    console.print(render.migration({}))
    console.print(render.migration({"id": "mig-1", "images": [{"source": "/x/images/a"}]}))
    console.print(render.plan({}))
    console.print(render.migrations([{}]))
    console.print(render.result({"images": [{}]}))
    text = console.export_text()
    assert "migration mig-1  ?" in text
    assert "images by phase: -" in text


def test_a_regions_bar_counts_its_completed_images() -> None:
    # The API's progress is the mean of the images still copying.
    assert render.region_done({"completed": 3, "replicating": 1, "progress": 40}) == 85
    assert render.region_done({"completed": 0, "replicating": 0, "progress": 100}) == 100
    assert render.region_done({"failed": 1, "completed": 1}) == 50


async def test_watch_in_a_terminal_runs_to_the_end_and_shows_the_result(
    cli: Run, stack: Stack
) -> None:
    migration_id = await started(cli)
    ran = await cli("watch", migration_id, "--approve-as", "ops", terminal=True)
    assert ran.code == Exit.OK, ran.err
    assert ANSI.search(ran.out)
    shown = ran.console.export_text()
    frames = shown.split(f"migration {migration_id}  ")[1:]
    assert len(frames) >= 5
    # It asked, --approve-as approved, and the live view went on to the deletes.
    asked = [f for f in frames if "waiting for approval: 2 image(s) undecided" in f]
    assert asked
    assert frames.index(asked[0]) < len(frames) - 1
    last, result = frames[-1].split("\nresult")
    assert last.startswith("Completed · done · every image migrated"), last
    assert "images by phase: 2 deleted" in last
    assert re.search(r"westus2\s+█{16}\s+100%\s+2\s+0\s+0", last), last
    assert re.search(r"app\s+app/1\.0\.0\s+deleted\s+eastus\s+█{10} 100%", last), last
    assert "approval: 2 approved" in last
    # The result once, below the last frame: per image its version, time and source.
    for name in ("web", "app"):
        row = rf"│ {name}\s+│ {name}/1\.0\.0 │ \d+ h \d+ min\s+│ deleted │"
        assert re.search(row, result), result
    assert shown.count("replicated in") == 1
