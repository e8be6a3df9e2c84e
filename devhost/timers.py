"""Durable timers: their rows in the store, a heap by deadline, and the loop that fires them.

An episode's ``CreateTimer`` decisions become rows (:meth:`Timers.add`, inside the episode's
transaction) and, once it commits, heap entries (:meth:`Timers.arm`). The loop sleeps on the host
clock until the earliest deadline (or until the heap changes) and fires every due timer in one
transaction: the row goes, a ``TimerFired`` message is queued for the execution that created it.
When an execution ends, its rows are deleted (:meth:`Timers.cancel`; a new execution of the id
deletes them with the rest of the id's state) and its entries are forgotten (:meth:`Timers.forget`).
"""

from __future__ import annotations

import asyncio
import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devhost import history as h
from devhost.instances import Instance, Message
from devhost.protocol import CreateTimer
from devhost.runtime import Runtime


@dataclass(order=True)
class TimerEntry:
    fire_at: datetime
    row_id: int
    instance_id: str = field(compare=False)
    execution_id: str = field(compare=False)
    timer_id: int = field(compare=False)


class Timers:
    name = "timers"

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._heap: list[TimerEntry] = []
        self._changed = asyncio.Event()

    def recover(self) -> None:
        for timer in self._rt.store.timers():
            heapq.heappush(
                self._heap,
                TimerEntry(
                    h.parse_timestamp(timer.fire_at),
                    timer.id,
                    timer.instance_id,
                    timer.execution_id,
                    timer.timer_id,
                ),
            )

    # -- questions -----------------------------------------------------------------------------

    def is_idle(self) -> bool:
        return not self.due()

    def due(self) -> bool:
        return bool(self._heap) and self._heap[0].fire_at <= self._rt.clock.now()

    def next(self) -> datetime | None:
        return self._heap[0].fire_at if self._heap else None

    # -- scheduling and cancelling -------------------------------------------------------------

    def add(self, instance: Instance, timer: CreateTimer) -> TimerEntry:
        """Store the timer (in the caller's transaction); :meth:`arm` it once that commits."""
        row_id = self._rt.store.add_timer(
            instance.instance_id,
            instance.execution_id,
            timer.task_id,
            h.format_timestamp(timer.fire_at),
        )
        return TimerEntry(
            timer.fire_at, row_id, instance.instance_id, instance.execution_id, timer.task_id
        )

    def arm(self, entries: list[TimerEntry]) -> None:
        for entry in entries:
            heapq.heappush(self._heap, entry)
        if entries:
            self._changed.set()

    def cancel(self, instance_id: str) -> None:
        """Delete the instance's timer rows (in the caller's transaction)."""
        self._rt.store.delete_timers_for(instance_id)

    def forget(self, instance_id: str) -> None:
        """Drop the instance's entries (its rows are gone), so no deadline of theirs is awaited."""
        self._heap = [t for t in self._heap if t.instance_id != instance_id]
        heapq.heapify(self._heap)
        self._changed.set()

    def wake_if_due(self) -> None:
        """Let the loop fire due timers now (a virtual clock may have jumped past them)."""
        if self.due():
            self._changed.set()

    # -- the loop ------------------------------------------------------------------------------

    async def run(self) -> None:
        while True:
            self._fire_due()
            self._changed.clear()
            upcoming = self.next()
            waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._changed.wait())]
            if upcoming is not None:
                waits.append(asyncio.ensure_future(self._rt.clock.sleep_until(upcoming)))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()

    def _fire_due(self) -> None:
        now = self._rt.clock.now()
        due: list[TimerEntry] = []
        while self._heap and self._heap[0].fire_at <= now:
            due.append(heapq.heappop(self._heap))
        if not due:
            return
        messages: list[Message] = []
        with self._rt.store.transaction():
            for timer in due:
                self._rt.store.delete_timer(timer.row_id)
                target = self._rt.instances.get(timer.instance_id)
                if target is None or target.execution_id != timer.execution_id:
                    continue
                event = h.timer_fired(timer.fire_at, timer.timer_id, timer.fire_at)
                messages.append(
                    self._rt.instances.queue_message(timer.instance_id, timer.execution_id, event)
                )
        self._rt.deliver(messages)
