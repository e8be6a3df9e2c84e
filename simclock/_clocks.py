from __future__ import annotations

import asyncio
import heapq
import itertools
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken to be UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _from_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _seconds(delta: timedelta | float) -> float:
    return delta.total_seconds() if isinstance(delta, timedelta) else float(delta)


class Clock(ABC):
    """A source of simulated time: ``now()`` plus ways to wait for it."""

    #: True when time moves only through :meth:`VirtualClock.advance`; nothing waits in wall time.
    is_virtual: bool = False

    @abstractmethod
    def now(self) -> datetime:
        """The current simulated time, an aware UTC datetime."""

    @abstractmethod
    def wall_seconds(self, seconds: float) -> float:
        """Wall-clock seconds that ``seconds`` of simulated time take (0 for a virtual clock)."""

    async def sleep(self, seconds: timedelta | float) -> None:
        """Wait until ``seconds`` of simulated time have passed."""
        await self.sleep_until(self.now() + timedelta(seconds=max(0.0, _seconds(seconds))))

    async def sleep_until(self, when: datetime) -> None:
        """Wait until simulated time reaches ``when``."""
        # Re-check after each wait: a scaled clock's wall estimate can fall short by rounding.
        while (remaining := (utc(when) - self.now()).total_seconds()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(self.wall_seconds(remaining))


class RealClock(Clock):
    """Wall time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wall_seconds(self, seconds: float) -> float:
        return seconds

    def __repr__(self) -> str:
        return "RealClock()"


class ScaledClock(Clock):
    """Wall time sped up ``scale`` times: it read ``start`` (default: now) at ``wall_start``.

    ``wall_start`` is a Unix time (default: now). Anchoring to wall time rather than to this
    process's monotonic clock is what lets two processes given the same anchor agree, and lets a
    restarted process carry on where simulated time has got to meanwhile
    (:func:`simclock.open_clock` keeps an anchor in a file). Time never goes backwards within one
    clock, even if the wall clock is stepped back. ``wall`` is the wall-time source (tests).
    """

    def __init__(
        self,
        scale: float,
        start: datetime | None = None,
        *,
        wall_start: float | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.scale = float(scale)
        self._wall = wall
        self.wall_start = wall() if wall_start is None else float(wall_start)
        self.start = utc(start) if start is not None else _from_unix(self.wall_start)
        self._last = self.start

    def now(self) -> datetime:
        elapsed = (self._wall() - self.wall_start) * self.scale
        current = self.start + timedelta(seconds=elapsed)
        if current > self._last:
            self._last = current
        return self._last

    def wall_seconds(self, seconds: float) -> float:
        return seconds / self.scale

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self.scale:g})"


class VirtualClock(Clock):
    """Time that moves only when :meth:`advance` or :meth:`advance_to` is called.

    Waiters are woken in deadline order, each on its own event loop, so a clock may be advanced from
    a test, a host's scheduler or another thread.
    """

    is_virtual = True

    def __init__(self, start: datetime | None = None) -> None:
        # Whole seconds keep timestamps in logs and histories short and comparable.
        self._now = utc(start) if start is not None else datetime.now(UTC).replace(microsecond=0)
        self._lock = threading.Lock()
        self._order = itertools.count()
        self._waiters: list[tuple[datetime, int, asyncio.Future[None]]] = []

    def now(self) -> datetime:
        return self._now

    def wall_seconds(self, seconds: float) -> float:
        return 0.0

    def next_wakeup(self) -> datetime | None:
        """The earliest deadline anyone is sleeping until, if any."""
        with self._lock:
            self._drop_cancelled()
            return self._waiters[0][0] if self._waiters else None

    def advance(self, delta: timedelta | float) -> datetime:
        """Move time forward by ``delta`` (seconds or a timedelta) and wake whoever is due."""
        seconds = _seconds(delta)
        if seconds < 0:
            raise ValueError("a virtual clock does not go backwards")
        return self.advance_to(self._now + timedelta(seconds=seconds))

    def advance_to(self, when: datetime) -> datetime:
        """Move time forward to ``when`` (never backwards) and wake whoever is due."""
        when = utc(when)
        due: list[asyncio.Future[None]] = []
        with self._lock:
            if when > self._now:
                self._now = when
            while self._waiters and self._waiters[0][0] <= self._now:
                due.append(heapq.heappop(self._waiters)[2])
        for future in due:
            _resolve(future)
        return self._now

    async def sleep_until(self, when: datetime) -> None:
        when = utc(when)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            if when <= self._now:
                return
            heapq.heappush(self._waiters, (when, next(self._order), future))
        await future

    def _drop_cancelled(self) -> None:
        while self._waiters and self._waiters[0][2].done():
            heapq.heappop(self._waiters)

    def __repr__(self) -> str:
        return f"VirtualClock(now={self._now.isoformat()})"


def _resolve(future: asyncio.Future[None]) -> None:
    def set_done() -> None:
        if not future.done():
            future.set_result(None)

    loop = future.get_loop()
    if loop.is_closed():
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        set_done()
    else:
        loop.call_soon_threadsafe(set_done)


def clock_for_scale(scale: float | None, start: datetime | None = None) -> Clock:
    """The clock a ``--time-scale`` option asks for: ``None`` or 1 real, 0 virtual, else scaled."""
    if scale is None or scale == 1:
        return RealClock()
    if scale == 0:
        return VirtualClock(start)
    return ScaledClock(scale, start)
