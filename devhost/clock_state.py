"""The host's clock across restarts: its clock file, and the state's latest timestamp.

A durable state holds timestamps (history, timer deadlines, queued messages), so the clock a
restarted host runs on must continue the one that wrote them. ``python -m devhost`` keeps its clock
in a :mod:`simclock` clock file, by default next to the state file, or in a file shared with the
ARM emulator (``--clock``). :func:`latest_time` is how far the state has got; a host never starts
on a clock behind it (:func:`catch_up`).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from devhost import history as h
from devhost.store import Store
from simclock import Clock, ClockFile, VirtualClock, open_clock


class ClockBehindStateError(RuntimeError):
    pass


def default_clock_path(state: Path) -> Path:
    """``state.sqlite`` keeps its clock in ``state.clock.json``."""
    return state.with_name(state.stem + ".clock.json")


def latest_time(store: Store) -> datetime | None:
    """The latest time the state has stamped: instance rows and queued messages."""
    times: list[datetime] = []
    for row in store.instances():
        times += [h.parse_timestamp(row.created_time), h.parse_timestamp(row.last_updated_time)]
    for message in store.messages():
        stamp = json.loads(message.event).get("Timestamp")
        if stamp:
            times.append(h.parse_timestamp(stamp))
    return max(times, default=None)


def clock_for_state(state: Path, scale: float | None, clock_file: Path | None) -> Clock:
    """The clock for a host on ``state``: kept in ``clock_file`` (default: next to the state).

    A fresh state (no file yet) starts a fresh default clock, since nothing remembers the old
    one; a clock file named explicitly is shared with other processes and never discarded.
    """
    path = clock_file or default_clock_path(state)
    floor = None
    if state.exists():
        store = Store(state)
        try:
            floor = latest_time(store)
        finally:
            store.close()
    elif clock_file is None:
        ClockFile(path).remove()
    return open_clock(path, scale, not_before=floor)


def catch_up(clock: Clock, latest: datetime | None) -> None:
    """Refuse a clock behind the state; a virtual one moves forward to it instead."""
    if latest is None or clock.now() >= latest:
        return
    if isinstance(clock, VirtualClock):
        clock.advance_to(latest)
        return
    raise ClockBehindStateError(
        f"the clock says {clock.now().isoformat()} but the state already holds "
        f"{latest.isoformat()}: history would run backwards (use the clock the state was "
        "written with, e.g. the same --clock file)"
    )
