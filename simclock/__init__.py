"""Clocks for the local stack.

The emulator and devhost both take a :class:`Clock` so that, in one process, they can share one
notion of time: real, scaled (an hour of simulated time in a second of wall time) or virtual (time
moves only when a test or a host advances it). Across processes and restarts they share a clock
file (:func:`open_clock`): an anchor that lets simulated time run on while a process is down.
Nothing in the Functions app imports this package; the app always runs on wall time, as it does
in Azure.
"""

from simclock._clocks import (
    Clock,
    RealClock,
    ScaledClock,
    VirtualClock,
    clock_for_scale,
    utc,
)
from simclock._file import ClockAnchor, ClockFile, ClockFileError, FileVirtualClock, open_clock

__all__ = [
    "Clock",
    "ClockAnchor",
    "ClockFile",
    "ClockFileError",
    "FileVirtualClock",
    "RealClock",
    "ScaledClock",
    "VirtualClock",
    "clock_for_scale",
    "open_clock",
    "utc",
]
