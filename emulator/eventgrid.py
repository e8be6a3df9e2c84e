"""Event Grid delivery: each write's events POSTed to every event subscription that wants them.

``emulator/events.py`` builds the events and decides which subscriptions match; this module
delivers them as Event Grid would, per subscription's :class:`~emulator.config.DeliveryBehaviour`:
after a delay (simulated seconds, so a virtual clock delivers when it is advanced past it), at
least once (a duplicate now and then), in no guaranteed order (an event held back), now and then
never (a drop), retrying a failing endpoint. Every choice is drawn from a generator seeded with
``(seed, subscription, event id)``; every attempt, and every drop, is in ``deliveries``. Failures
are logged, never raised into the request that caused them.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from emulator.config import EmulatorConfig, EventSubscription
from emulator.events import (
    NOTIFICATIONS,
    Event,
    matches,
    notification_event,
    shaped,
    subscriptions_of,
    system_event,
)
from emulator.records import Delivery, Recorder, ResourceWrite
from simclock import Clock

log = logging.getLogger(__name__)

#: Simulated seconds between delivery attempts (Event Grid starts at 10 s, 30 s, 1 min, ...).
RETRY_SCHEDULE = (10.0, 30.0, 60.0, 300.0)


@dataclass(frozen=True)
class Planned:
    """One copy of an event on its way to one subscription."""

    token: int
    subscription: EventSubscription
    event: Event
    copy: int
    due: datetime


class EventGridPublisher:
    """Sends events from the loop serving the emulator; any thread may call ``publish``."""

    def __init__(self, config: EmulatorConfig, clock: Clock, recorder: Recorder) -> None:
        self._config = config
        self._subscriptions = subscriptions_of(config)
        self._clock = clock
        self._recorder = recorder
        self._rng = random.Random(f"eventgrid:{config.seed}")
        self._lock = threading.Lock()
        self._tokens = itertools.count()
        #: Copies waiting for their instant, by token: what :meth:`next_due` looks at.
        self._waiting: dict[int, datetime] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: dict[asyncio.Task[None], datetime] = {}

    @property
    def enabled(self) -> bool:
        return bool(self._subscriptions)

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.enabled and self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._loop = None

    async def drain(self) -> None:
        """Wait for every delivery that is due (retries included) to finish; deliveries whose
        delay has not passed yet (on a virtual clock: until it is advanced) are not waited for."""
        while ready := [task for task, due in self._tasks.items() if due <= self._clock.now()]:
            await asyncio.gather(*ready, return_exceptions=True)

    def next_due(self) -> datetime | None:
        """When the next delayed delivery is due, if one is waiting."""
        with self._lock:
            return min(self._waiting.values(), default=None)

    def publish(self, write: ResourceWrite) -> None:
        """Raise the events of ``write`` and start delivering them to who wants them."""
        if not self.enabled:
            return
        with self._lock:
            events = [system_event(write, self._config.tenant_id, self._rng)]
            wants_notifications = any(s.topic_type == NOTIFICATIONS for s in self._subscriptions)
            if write.status == "Succeeded" and wants_notifications:
                events.append(notification_event(write, self._rng))
            planned = [
                copy
                for event in events
                for subscription in self._subscriptions
                if matches(subscription, event)
                for copy in self._plan(subscription, event, write.time)
            ]
            for copy in planned:
                self._waiting[copy.token] = copy.due
        loop = self._loop
        if loop is None or loop.is_closed():
            with self._lock:
                for copy in planned:
                    self._waiting.pop(copy.token, None)
            if planned:
                log.warning("event grid: not serving, events for %s dropped", write.resource_id)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for copy in planned:
            if running is loop:
                self._spawn(copy)
            else:
                loop.call_soon_threadsafe(self._spawn, copy)

    def _plan(
        self, subscription: EventSubscription, event: Event, raised: datetime
    ) -> list[Planned]:
        """The copies of ``event`` ``subscription`` will receive, and when (none if dropped)."""
        behaviour = subscription.delivery
        rng = random.Random(f"{self._config.seed}:{subscription.name}:{event.id}")
        if rng.random() < behaviour.drop_probability:
            self._record(raised, subscription, event, 0, None, "dropped (simulated)", dropped=True)
            return []
        copies = 2 if rng.random() < behaviour.duplicate_probability else 1
        planned = []
        for copy in range(1, copies + 1):
            delay = behaviour.delay_seconds + rng.uniform(0, behaviour.delay_jitter_seconds)
            if rng.random() < behaviour.out_of_order_probability:
                delay += behaviour.out_of_order_seconds
            due = raised + timedelta(seconds=delay)
            planned.append(Planned(next(self._tokens), subscription, event, copy, due))
        return planned

    def _spawn(self, copy: Planned) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(copy))
        self._tasks[task] = copy.due
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._tasks.pop(task, None)

    async def _deliver(self, copy: Planned) -> None:
        try:
            await self._clock.sleep_until(copy.due)
        finally:
            with self._lock:
                self._waiting.pop(copy.token, None)
        if self._session is None:
            return
        subscription, event = copy.subscription, copy.event
        cloud = subscription.event_schema == "CloudEvents"
        body = shaped(subscription, event)
        payload: Any = body if cloud else [body]
        headers = {
            "aeg-event-type": "Notification",
            "aeg-subscription-name": subscription.name.upper(),
            "aeg-metadata-version": "1",
            "Content-Type": (
                "application/cloudevents+json; charset=utf-8" if cloud else "application/json"
            ),
        }
        if not cloud:
            headers["aeg-data-version"] = event.data_version
        attempts = subscription.delivery.max_attempts
        for attempt in range(1, attempts + 1):
            headers["aeg-delivery-count"] = str(attempt - 1)
            status, error = await self._post(subscription.endpoint, payload, headers)
            self._record(self._clock.now(), subscription, event, attempt, status, error, copy.copy)
            if error is None:
                return
            log.warning("event grid: delivery %d of %s failed: %s", attempt, event.id, error)
            if attempt < attempts:
                delay = RETRY_SCHEDULE[min(attempt - 1, len(RETRY_SCHEDULE) - 1)]
                await asyncio.sleep(self._clock.wall_seconds(delay))
        log.error("event grid: gave up on %s after %d attempts", event.id, attempts)

    def _record(
        self,
        when: datetime,
        subscription: EventSubscription,
        event: Event,
        attempt: int,
        status: int | None,
        error: str | None,
        copy: int = 1,
        dropped: bool = False,
    ) -> None:
        self._recorder.delivery(
            Delivery(
                when,
                event.id,
                event.subject,
                attempt,
                status,
                error,
                subscription=subscription.name,
                event_type=event.type,
                copy=copy,
                dropped=dropped,
            )
        )

    async def _post(
        self, url: str, payload: Any, headers: dict[str, str]
    ) -> tuple[int | None, str | None]:
        """One attempt: the status, and what went wrong (``None`` for a 2xx)."""
        assert self._session is not None
        try:
            async with self._session.post(url, json=payload, headers=headers) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        ok = 200 <= response.status < 300
        return response.status, None if ok else f"HTTP {response.status}"
