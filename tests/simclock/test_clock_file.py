"""Clock files: one anchor shared by processes and restarts (wall time injected, never slept)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from simclock import (
    ClockAnchor,
    ClockFile,
    ClockFileError,
    FileVirtualClock,
    ScaledClock,
    open_clock,
)

START = datetime(2030, 1, 1, tzinfo=UTC)


class Wall:
    """A wall clock the test moves."""

    def __init__(self, now: float = 1_900_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_simulated_time_runs_on_while_no_process_holds_the_clock(tmp_path: Path) -> None:
    wall = Wall()
    path = tmp_path / "clock.json"
    first = open_clock(path, 600, start=START, wall=wall)
    wall.now += 10  # ten wall seconds: 6000 simulated seconds
    assert first.now() == START + timedelta(seconds=6000)
    # "First" is gone (killed); a second process reading the file an hour of wall time later.
    wall.now += 3600
    second = open_clock(path, wall=wall)
    assert isinstance(second, ScaledClock)
    assert second.scale == 600
    assert second.now() == START + timedelta(seconds=(10 + 3600) * 600)
    # Two processes reading the file agree, however late the second one started.
    assert open_clock(path, 600, wall=wall).now() == second.now()


def test_real_time_file_is_wall_time(tmp_path: Path) -> None:
    wall = Wall()
    clock = open_clock(tmp_path / "clock.json", 1, wall=wall)
    assert clock.now() == datetime.fromtimestamp(wall.now, UTC)
    wall.now += 5
    assert clock.now() == datetime.fromtimestamp(wall.now, UTC)


def test_a_scale_other_than_the_files_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    open_clock(path, 600, start=START)
    with pytest.raises(ClockFileError, match="--time-scale 600, not 60"):
        open_clock(path, 60)
    with pytest.raises(ClockFileError, match="not 0"):
        open_clock(path, 0)


def test_a_new_file_starts_no_earlier_than_the_state(tmp_path: Path) -> None:
    wall = Wall()
    later = datetime.fromtimestamp(wall.now, UTC) + timedelta(days=3)
    clock = open_clock(tmp_path / "clock.json", 60, not_before=later, wall=wall)
    assert clock.now() == later


def test_an_existing_file_behind_the_state_is_refused(tmp_path: Path) -> None:
    wall = Wall()
    path = tmp_path / "clock.json"
    open_clock(path, 60, start=START, wall=wall)
    with pytest.raises(ClockFileError, match="does not belong to this state"):
        open_clock(path, 60, not_before=START + timedelta(hours=1), wall=wall)


def test_scaled_clock_never_runs_backwards_when_the_wall_clock_is_stepped_back() -> None:
    wall = Wall()
    clock = ScaledClock(10, START, wall=wall)
    wall.now += 2
    assert clock.now() == START + timedelta(seconds=20)
    wall.now -= 1
    assert clock.now() == START + timedelta(seconds=20)


def test_virtual_clock_resumes_at_the_furthest_time_reached(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    first = open_clock(path, 0, start=START)
    assert isinstance(first, FileVirtualClock)
    first.advance(3600)
    other = open_clock(path)  # a second process on the same file
    assert other.now() == START + timedelta(hours=1)
    assert isinstance(other, FileVirtualClock)
    other.advance(60)
    first.advance(30)  # behind the other process: does not lower the mark
    anchor = ClockFile(path).read()
    assert anchor is not None
    assert anchor.reached == START + timedelta(hours=1, minutes=1)
    assert open_clock(path, 0).now() == START + timedelta(hours=1, minutes=1)


def test_virtual_mark_is_written_before_the_clock_moves(tmp_path: Path) -> None:
    clock = open_clock(tmp_path / "clock.json", 0, start=START)
    assert isinstance(clock, FileVirtualClock)
    seen: list[datetime | None] = []
    original = clock.file.record_reached

    def spy(when: datetime) -> None:
        original(when)
        anchor = clock.file.read()
        seen.append(anchor.reached if anchor else None)
        assert clock.now() == START  # the file first, then the clock

    clock.file.record_reached = spy  # type: ignore[method-assign]
    clock.advance(90)
    assert seen == [START + timedelta(seconds=90)]
    clock.advance_to(START)  # no move, no write
    assert len(seen) == 1


def test_virtual_clock_resumes_no_earlier_than_the_state(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    open_clock(path, 0, start=START)
    later = START + timedelta(days=2)
    assert open_clock(path, 0, not_before=later).now() == later
    assert open_clock(path, 0).now() == later  # and the file remembers it


def test_the_first_of_two_creators_wins(tmp_path: Path) -> None:
    file = ClockFile(tmp_path / "clock.json")
    mine = ClockAnchor(60, START, 1.0)
    assert file.create(mine) == mine
    theirs = ClockAnchor(600, START + timedelta(days=1), 2.0)
    assert file.create(theirs) == mine
    assert file.read() == mine
    assert list(tmp_path.iterdir()) == [file.path]  # no temporary left behind


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    path.write_text("{not json")
    with pytest.raises(ClockFileError, match="not a clock file"):
        open_clock(path)
    path.write_text(json.dumps({"version": 9, "scale": 1}))
    with pytest.raises(ClockFileError, match="version 9"):
        open_clock(path)


def test_the_file_format(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    open_clock(path, 600, start=START, wall=Wall(1_900_000_000.5))
    assert json.loads(path.read_text()) == {
        "version": 1,
        "scale": 600.0,
        "start": "2030-01-01T00:00:00+00:00",
        "wallStart": 1_900_000_000.5,
        "reached": None,
    }
