"""The orchestration engine: its parts composed, and the operations clients call.

It plays the part of DurableTask.Core's dispatchers over a SQLite store. The work is done by
:class:`~devhost.runtime.Part`s sharing one :class:`~devhost.runtime.Runtime`:

- :class:`~devhost.episodes.EpisodeRunner` runs orchestrator episodes, and
  :class:`~devhost.executions.Executions` commits what they decide;
- :class:`~devhost.activities.ActivityWorker` runs activities;
- :class:`~devhost.timers.Timers` fires durable timers;
- :class:`~devhost.entities.EntityRunner` runs durable entities' operation batches.

The :class:`Engine` builds them, recovers their work from the store, runs their loops, answers
"is anything runnable?" for ``run_until_idle``, and takes the durable client's operations (start,
raise event, terminate, suspend, resume, purge, signal an entity) on behalf of the HTTP API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from devhost import history as h
from devhost.activities import ActivityWorker
from devhost.bindings import (
    ACTIVITY_TRIGGER,
    ENTITY_TRIGGER,
    ORCHESTRATION_TRIGGER,
    FunctionMetadata,
)
from devhost.config import HostConfig
from devhost.entities import Entity, EntityRunner, EntityStatusView
from devhost.entity_protocol import (
    REQUEST_EVENT,
    DotNetTime,
    EntityRequest,
    check_key,
    is_entity_id,
    scheduler_id,
)
from devhost.episodes import EpisodeRunner
from devhost.executions import Executions
from devhost.history import JsonDict
from devhost.instances import RUNNING_STATUSES, Instance, InstanceStats
from devhost.invoker import Invoker
from devhost.protocol import FunctionCatalog
from devhost.runtime import Part, Runtime
from devhost.store import Store
from devhost.timers import Timers
from simclock import Clock


class UnknownOrchestratorError(Exception):
    pass


class InstanceExistsError(Exception):
    pass


class InstanceNotFoundError(Exception):
    pass


class UnknownEntityError(Exception):
    pass


def _by_durable_name(
    functions: Mapping[str, FunctionMetadata], trigger_type: str
) -> dict[str, FunctionMetadata]:
    # The extension looks durable functions up by name, case-insensitively.
    return {f.durable_name.lower(): f for f in functions.values() if f.trigger_type == trigger_type}


class Engine:
    def __init__(
        self,
        *,
        functions: Mapping[str, FunctionMetadata],
        invoker: Invoker,
        store: Store,
        clock: Clock,
        config: HostConfig,
        client_binding: Callable[[], str] | None = None,
        activity_rerun_rate: float = 0.0,
    ) -> None:
        self._config = config
        self._orchestrators = _by_durable_name(functions, ORCHESTRATION_TRIGGER)
        activities = _by_durable_name(functions, ACTIVITY_TRIGGER)
        entities = _by_durable_name(functions, ENTITY_TRIGGER)
        self.catalog = FunctionCatalog(
            activities=[f.durable_name for f in activities.values()],
            orchestrators=[f.durable_name for f in self._orchestrators.values()],
            entities=[f.durable_name for f in entities.values()],
        )
        self._rt = Runtime(clock=clock, store=store)
        self._timers = Timers(self._rt)
        self._activities = ActivityWorker(
            self._rt,
            functions=activities,
            catalog=self.catalog,
            invoker=invoker,
            client_binding=client_binding,
            max_concurrent=config.max_concurrent_activities,
            rerun_rate=activity_rerun_rate,
        )
        self._executions = Executions(self._rt, self._activities, self._timers)
        self._episodes = EpisodeRunner(
            self._rt,
            self._executions,
            orchestrators=self._orchestrators,
            catalog=self.catalog,
            invoker=invoker,
            max_concurrent=config.max_concurrent_orchestrators,
        )
        self._entities = EntityRunner(
            self._rt,
            functions=entities,
            catalog=self.catalog,
            invoker=invoker,
            max_concurrent=config.max_concurrent_orchestrators,
            max_batch=config.max_entity_operation_batch_size,
        )
        # A new kind of durable work is one more part here.
        self._parts: list[Part] = [self._episodes, self._activities, self._timers, self._entities]
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle ----------------------------------------------------------------------------

    def recover(self) -> None:
        """Load the store: instances, queued messages, unfinished activities and timers."""
        self._rt.instances.recover()
        for part in self._parts:
            part.recover()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(part.run(), name=f"devhost-{part.name}") for part in self._parts
        ]

    async def stop(self) -> None:
        tasks = [*self._tasks, *self._rt.inflight()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._episodes.close()
        self._entities.close()

    # -- idleness -----------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """A counter that moves whenever the engine's state changes."""
        return self._rt.version

    def poke(self) -> None:
        """Wake whoever waits for a change (e.g. after an outside setting changed)."""
        self._rt.notify()

    def is_idle(self) -> bool:
        return all(part.is_idle() for part in self._parts)

    def next_timer(self) -> datetime | None:
        return self._timers.next()

    async def run_until_idle(self) -> None:
        while True:
            if self.is_idle():
                # Callbacks already scheduled (a clock wake-up, a finished thread) may add work.
                for _ in range(3):
                    await asyncio.sleep(0)
                if self.is_idle():
                    return
            self._rt.changed.clear()
            self._timers.wake_if_due()
            if not self.is_idle():
                await self._rt.changed.wait()

    async def wait_for_change(self, since: int | None = None) -> None:
        """Wait until the state changes after ``since`` (a :attr:`version`; default: now)."""
        await self._rt.wait_for_change(since)

    # -- queries ------------------------------------------------------------------------------

    def instance(self, instance_id: str) -> Instance | None:
        return self._rt.instances.get(instance_id)

    def instances(self) -> list[Instance]:
        return self._rt.instances.values()

    def entity(self, name: str, key: str) -> Entity | None:
        return self._entities.get(scheduler_id(name, key))

    def entities(self) -> list[Entity]:
        """Entities that have run at least one batch."""
        return [e for e in self._entities.values() if e.created_time is not None]

    def entity_view(self, instance_id: str) -> EntityStatusView | None:
        entity = self._entities.get(instance_id)
        return None if entity is None else entity.status_view()

    def entity_views(self) -> list[EntityStatusView]:
        """Entities as the instances API lists them (they are instances on Azure Storage)."""
        return [v for v in (e.status_view() for e in self._entities.values()) if v is not None]

    def load_history(self, instance: Instance) -> list[JsonDict]:
        return self._rt.instances.load_history(instance)

    def stats(self, instance_id: str) -> InstanceStats:
        instance = self._rt.instances.get(instance_id)
        if instance is None:
            raise InstanceNotFoundError(instance_id)
        return InstanceStats(
            replays=instance.episodes,
            history_length=instance.history_length,
            orchestrator_cpu_seconds=instance.cpu_seconds,
        )

    # -- client operations (the durable client's HTTP API calls these) ------------------------

    def start_instance(
        self, name: str, instance_id: str | None, raw_input: str | None, *, version: str = ""
    ) -> str:
        orchestrator = self._orchestrators.get(name.lower())
        if orchestrator is None:
            raise UnknownOrchestratorError(self.catalog.missing_orchestrator(name))
        if instance_id and is_entity_id(instance_id):
            # DurableClient's ArgumentException(nameof(instanceId), text): message and parameter
            # name swapped, so this is its Message.
            raise ValueError(
                "instanceId (Parameter 'Orchestration instance ids must not start with @.')"
            )
        instance_id = instance_id or uuid.uuid4().hex
        existing = self._rt.instances.get(instance_id)
        if (
            existing is not None
            and existing.status in RUNNING_STATUSES
            and self._config.overridable_existing_instance_states.lower() != "anystate"
        ):
            raise InstanceExistsError(
                f"An Orchestration instance with the status {existing.status.name} already exists."
            )
        now = self._rt.clock.now()
        with self._rt.store.transaction():
            instance, message = self._rt.instances.new_execution(
                instance_id, orchestrator.durable_name, raw_input, now, version=version
            )
        self._executions.install(instance, [message])
        return instance_id

    def signal_entity(self, name: str, key: str, operation: str, raw_input: str | None) -> None:
        """DurableClient.SignalEntityAsync: a one-way request, ``raw_input`` as the request's
        input (already serialised as the extension's SetInput does)."""
        check_key(key)
        if not self.catalog.has_entity(name):
            raise UnknownEntityError(self.catalog.missing_entity(name.lower()))
        request = EntityRequest(str(uuid.uuid4()), operation, raw_input, signal=True)
        # A client's request is not labelled by a message sorter: both times are MinValue.
        event = h.event_raised(
            self._rt.clock.now(), REQUEST_EVENT, request.to_json(DotNetTime(), DotNetTime())
        )
        with self._rt.store.transaction():
            message = self._rt.instances.queue_message(scheduler_id(name, key), None, event)
        self._rt.deliver([message])

    def raise_event(self, instance_id: str, name: str, raw_payload: str | None) -> None:
        self._send(instance_id, h.event_raised(self._rt.clock.now(), name, raw_payload))

    def terminate(self, instance_id: str, reason: str | None) -> None:
        self._send(instance_id, h.execution_terminated(self._rt.clock.now(), reason))

    def suspend(self, instance_id: str, reason: str | None) -> None:
        self._send(instance_id, h.execution_suspended(self._rt.clock.now(), reason))

    def resume(self, instance_id: str, reason: str | None) -> None:
        self._send(instance_id, h.execution_resumed(self._rt.clock.now(), reason))

    def purge(self, instance_id: str) -> int:
        if instance_id not in self._rt.instances:
            return 0
        return self._purge([instance_id])

    def purge_where(self, predicate: Callable[[Instance], bool]) -> int:
        return self._purge([i.instance_id for i in self._rt.instances.values() if predicate(i)])

    def _purge(self, instance_ids: list[str]) -> int:
        with self._rt.store.transaction():
            self._rt.instances.delete(instance_ids)
        for instance_id in instance_ids:
            self._rt.instances.pop(instance_id)
            self._timers.forget(instance_id)
            self._rt.notify()
        return len(instance_ids)

    def _send(self, instance_id: str, event: JsonDict) -> None:
        # A client's message is for whichever execution the instance runs when it arrives.
        if instance_id not in self._rt.instances:
            raise InstanceNotFoundError(instance_id)
        with self._rt.store.transaction():
            message = self._rt.instances.queue_message(instance_id, None, event)
        self._rt.deliver([message])
