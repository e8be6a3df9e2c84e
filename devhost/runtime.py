"""What every part of the engine shares, and what a part is.

The engine is a few :class:`Part`s (the episode runner, the activity worker, the timers) over one
:class:`Runtime`: the clock, the store, the :class:`~devhost.instances.InstanceTable`, the change
counter that ``run_until_idle`` and long-polling clients wait on, the tasks the parts spawn, and
message delivery: a message committed to an instance's queue goes into its inbox, and an instance
with a message it may process now joins the ready queue that the episode runner takes from. A
message for an entity (an ``@name@key`` id) goes to the part that runs entities instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Protocol

from devhost.entity_protocol import is_entity_id
from devhost.history import EventType, OrchestrationStatus
from devhost.instances import Instance, InstanceTable, Message
from devhost.store import Store
from simclock import Clock


class Part(Protocol):
    """One kind of durable work the engine runs (episodes, activities, timers, ...)."""

    #: Names its loop's task (``devhost-<name>``).
    name: str

    def recover(self) -> None:
        """Pick up the work the store holds (called once, after the instances are loaded)."""

    async def run(self) -> None:
        """The part's loop, until cancelled: take work, spawn it, wait for more."""

    def is_idle(self) -> bool:
        """Nothing runnable now: nothing queued, nothing running, nothing due."""


class Runtime:
    def __init__(self, *, clock: Clock, store: Store) -> None:
        self.clock = clock
        self.store = store
        self.instances = InstanceTable(store)
        self.changed = asyncio.Event()
        self._version = 0
        self._ready: deque[str] = deque()
        self._ready_set: set[str] = set()
        self._ready_event = asyncio.Event()
        self._inflight: set[asyncio.Task[None]] = set()
        self._entity_sink: Callable[[Message], None] | None = None

    # -- the change counter --------------------------------------------------------------------

    def notify(self) -> None:
        self._version += 1
        self.changed.set()

    @property
    def version(self) -> int:
        """A counter that moves whenever the engine's state changes."""
        return self._version

    async def wait_for_change(self, since: int | None = None) -> None:
        """Wait until the state changes after ``since`` (a :attr:`version`; default: now)."""
        seen = self._version if since is None else since
        while self._version == seen:
            self.changed.clear()
            await self.changed.wait()

    # -- tasks ---------------------------------------------------------------------------------

    def spawn(self, coroutine: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run one piece of work (an episode, an activity) until it ends or the engine stops."""
        task: asyncio.Task[None] = asyncio.create_task(coroutine, name=name)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    def inflight(self) -> list[asyncio.Task[None]]:
        return list(self._inflight)

    # -- delivery ------------------------------------------------------------------------------

    def route_entity_messages(self, sink: Callable[[Message], None]) -> None:
        """Hand messages for entity ids to ``sink`` (the entity part) from now on."""
        self._entity_sink = sink

    def deliver(self, messages: Iterable[Message]) -> None:
        """Committed messages reach their instances' inboxes (a gone instance's are dropped)."""
        for message in messages:
            if self._entity_sink is not None and is_entity_id(message.instance_id):
                self._entity_sink(message)
                continue
            target = self.instances.get(message.instance_id)
            if target is None:
                continue
            target.inbox.append(message)
            self.offer(target)
        self.notify()

    def offer(self, instance: Instance) -> None:
        """Queue the instance for an episode if it has a message it may process now."""
        if _deliverable(instance):
            self._mark_ready(instance.instance_id)

    def has_ready(self) -> bool:
        return bool(self._ready)

    def take_ready(self) -> str | None:
        if not self._ready:
            return None
        instance_id = self._ready.popleft()
        self._ready_set.discard(instance_id)
        return instance_id

    async def wait_ready(self) -> None:
        """Wait until an instance is queued (when :meth:`take_ready` found none)."""
        self._ready_event.clear()
        await self._ready_event.wait()

    def _mark_ready(self, instance_id: str) -> None:
        if instance_id not in self._ready_set:
            self._ready_set.add(instance_id)
            self._ready.append(instance_id)
            self._ready_event.set()
            self.notify()


def _deliverable(instance: Instance) -> bool:
    if not instance.inbox:
        return False
    if instance.status != OrchestrationStatus.Suspended:
        return True
    # A suspended instance processes only what ends the suspension.
    return any(
        m.event["EventType"] in (EventType.EXECUTION_RESUMED, EventType.EXECUTION_TERMINATED)
        for m in instance.inbox
    )
