"""A clock that outlives its process: an anchor kept in a small JSON file.

Simulated time has to keep running while a process is down (as real time does in Azure), and
separate processes (devhost and the ARM emulator, say) have to agree on it. Both follow from one
anchor that the first process writes and every later one reads: "simulated time ``start`` was wall
time ``wallStart``, and it runs ``scale`` times faster". A virtual clock (scale 0) does not run on
its own; its file records the furthest time any process advanced to (``reached``), written before
the clock moves, so that a restarted process resumes there and never earlier.

The file::

    {"version": 1, "scale": 600.0, "start": "2030-01-01T00:00:00+00:00",
     "wallStart": 1893456000.0, "reached": null}
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simclock._clocks import Clock, ScaledClock, VirtualClock, utc

FORMAT_VERSION = 1


class ClockFileError(ValueError):
    """The clock file cannot serve the clock asked for (another scale, unreadable, behind)."""


@dataclass(frozen=True)
class ClockAnchor:
    """Where simulated time was at a given wall time, and how fast it runs (0: virtual)."""

    scale: float
    start: datetime
    wall_start: float
    #: Virtual clocks: the furthest time any process has advanced to.
    reached: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "scale": self.scale,
            "start": self.start.isoformat(),
            "wallStart": self.wall_start,
            "reached": self.reached.isoformat() if self.reached else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> ClockAnchor:
        try:
            if data["version"] != FORMAT_VERSION:
                raise ValueError(f"version {data['version']!r}")
            reached = data.get("reached")
            return cls(
                scale=float(data["scale"]),
                start=utc(datetime.fromisoformat(data["start"])),
                wall_start=float(data["wallStart"]),
                reached=utc(datetime.fromisoformat(reached)) if reached else None,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ClockFileError(f"not a clock file: {error}") from error


class ClockFile:
    """Reads and writes one anchor file; safe against several processes and a SIGKILL.

    The file is created with ``link`` (it appears whole, and only the first of two racing
    creators wins) and rewritten with ``replace`` (a reader sees the old or the new text, never
    half). ``reached`` is raised under an ``flock`` on a side file, so that two virtual clocks
    sharing the file never lower each other's mark.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self) -> ClockAnchor | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise ClockFileError(f"{self.path}: {error}") from error
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ClockFileError(f"{self.path}: not a clock file: {error}") from error
        try:
            return ClockAnchor.from_json(data)
        except ClockFileError as error:
            raise ClockFileError(f"{self.path}: {error}") from error

    def create(self, anchor: ClockAnchor) -> ClockAnchor:
        """Write ``anchor`` unless the file exists; the anchor the file holds afterwards."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self._write_temporary(anchor)
        try:
            os.link(temporary, self.path)
        except FileExistsError:
            existing = self.read()
            if existing is None:  # pragma: no cover - removed between link and read
                raise ClockFileError(f"{self.path} vanished while being created") from None
            return existing
        finally:
            temporary.unlink(missing_ok=True)
        return anchor

    def record_reached(self, when: datetime) -> None:
        """Raise the virtual mark to ``when`` (never lower it)."""
        with self._locked():
            anchor = self.read()
            if anchor is None:
                raise ClockFileError(f"{self.path} was removed while in use")
            if anchor.reached is not None and anchor.reached >= when:
                return
            temporary = self._write_temporary(replace(anchor, reached=when))
            os.replace(temporary, self.path)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def _write_temporary(self, anchor: ClockAnchor) -> Path:
        descriptor, name = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
        )
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(anchor.to_json(), out)
            out.write("\n")
        return Path(name)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class FileVirtualClock(VirtualClock):
    """A :class:`VirtualClock` that records in its :class:`ClockFile` how far it has advanced,
    before it advances, so that nothing stamped at a time is ever ahead of the file."""

    def __init__(self, file: ClockFile, start: datetime) -> None:
        super().__init__(start)
        self.file = file

    def advance_to(self, when: datetime) -> datetime:
        target = utc(when)
        if target > self.now():
            self.file.record_reached(target)
        return super().advance_to(target)

    def __repr__(self) -> str:
        return f"FileVirtualClock(now={self.now().isoformat()}, file={self.file.path})"


def open_clock(
    path: Path,
    scale: float | None = None,
    *,
    start: datetime | None = None,
    not_before: datetime | None = None,
    wall: Callable[[], float] = time.time,
) -> Clock:
    """The clock kept in ``path``, creating the file when it does not exist.

    ``scale`` is a ``--time-scale`` (``None``: the file's, or 1 for a new file); asking an
    existing file for another scale is an error, since processes sharing it would disagree. A new
    file starts at ``start`` (default: now) or at ``not_before`` if that is later: a state that
    already holds later timestamps must not see time run backwards. An existing file behind
    ``not_before`` is an error for a running clock; a virtual one resumes at ``not_before``.
    """
    file = ClockFile(path)
    anchor = file.read()
    if anchor is None:
        wall_now = wall()
        scale = 1.0 if scale is None else float(scale)
        if scale < 0:
            raise ClockFileError("a time scale cannot be negative")
        begin = utc(start) if start is not None else datetime.fromtimestamp(wall_now, UTC)
        if scale == 0 and start is None:
            begin = begin.replace(microsecond=0)  # as VirtualClock does: short, comparable stamps
        if not_before is not None and begin < not_before:
            begin = utc(not_before)
        anchor = file.create(
            ClockAnchor(scale, begin, wall_now, reached=begin if scale == 0 else None)
        )
    elif scale is not None and float(scale) != anchor.scale:
        raise ClockFileError(
            f"{path} keeps time at --time-scale {anchor.scale:g}, not {float(scale):g}: "
            "every process sharing a clock file runs at its scale (delete the file to start "
            "a new clock)"
        )
    if anchor.scale == 0:
        resume = anchor.reached or anchor.start
        if not_before is not None and not_before > resume:
            resume = utc(not_before)
            file.record_reached(resume)
        return FileVirtualClock(file, resume)
    clock = ScaledClock(anchor.scale, anchor.start, wall_start=anchor.wall_start, wall=wall)
    if not_before is not None and clock.now() < not_before:
        raise ClockFileError(
            f"{path} says it is {clock.now().isoformat()}, but the state already holds "
            f"{not_before.isoformat()}: this clock file does not belong to this state"
        )
    return clock
