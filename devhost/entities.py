"""The entity runner: durable entities, one batch of operations at a time per entity.

What the Durable extension 2.x does for an out-of-process (Python) entity (``TaskEntityShim``,
``DurableTaskExtension.EntityMiddleware``): requests (``op`` messages from orchestrations, clients
and other entities) queue up per entity in arrival order; when the entity is free, up to
``maxEntityOperationBatchSize`` of them become one batch, the entity function runs it in a single
invocation (the SDK loops over the operations), and the outcome is committed: the entity's new
state, a response for every call (``EventRaised`` named by the request id, to the calling
execution) and the signals the operations sent. One entity runs one batch at a time; different
entities run in parallel, up to ``maxConcurrentOrchestratorFunctions`` (Python entities share the
orchestration dispatcher on Azure Storage).

A batch is one store transaction: its messages are consumed together with the state change and
the outgoing responses and signals, so a host killed mid-batch runs the batch again on the state
before it (the operations' own side effects may happen twice, as with activities; their effect on
the entity and its callers happens once).

A batch the SDK could not run (its invocation raised, or answered what the extension cannot read)
fails every operation in it with that error and leaves the state as it was; the extension would
abort such a batch as an internal error. Messages for an entity name the app does not define
(signals from other entities, or a stale queue after the app changed) are answered the same way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from azure.functions import meta

from devhost import history as h
from devhost.bindings import FunctionMetadata, encode_return
from devhost.entity_protocol import (
    REQUEST_EVENT,
    BatchOutcome,
    DotNetTime,
    EntityProtocolError,
    EntityRequest,
    OperationOutcome,
    batch_request,
    failed_batch,
    is_entity_id,
    parse_batch_result,
    response_json,
    split_scheduler_id,
)
from devhost.history import EventType, OrchestrationStatus
from devhost.instances import Message
from devhost.invoker import Invoker
from devhost.protocol import FunctionCatalog
from devhost.runtime import Runtime
from devhost.store import EntityRow

log = logging.getLogger("devhost")


@dataclass
class Entity:
    instance_id: str  # the scheduler id, @name@key
    name: str  # lower-cased
    key: str
    exists: bool = False
    state: str | None = None  # the serialized state, as the SDK answered it
    created_time: datetime | None = None  # None until its first batch commits
    last_updated_time: datetime | None = None
    batches: int = 0
    operations: int = 0
    inbox: list[Message] = field(default_factory=list)
    running: bool = False

    @classmethod
    def from_row(cls, row: EntityRow) -> Entity:
        return cls(
            instance_id=row.instance_id,
            name=row.name,
            key=row.entity_key,
            exists=row.entity_exists,
            state=row.state,
            created_time=h.parse_timestamp(row.created_time),
            last_updated_time=h.parse_timestamp(row.last_updated_time),
            batches=row.batches,
            operations=row.operations,
        )

    def status_view(self) -> EntityStatusView | None:
        """The entity as the instances API shows it, once it has run (None before)."""
        if self.created_time is None or self.last_updated_time is None:
            return None
        return EntityStatusView(self, self.created_time, self.last_updated_time)


@dataclass(frozen=True)
class EntityStatusView:
    """An entity in the instances API: on Azure Storage (extension 2.x) an entity is an
    orchestration instance named by its id, always Running, whose input is the scheduler state
    and whose custom status is its EntityStatus (both with .NET's default-valued fields left out;
    devhost has no queue, locks or message sorter to show)."""

    entity: Entity
    created_time: datetime
    last_updated_time: datetime
    status: OrchestrationStatus = OrchestrationStatus.Running
    output: str | None = None

    @property
    def name(self) -> str:
        return self.entity.instance_id

    @property
    def instance_id(self) -> str:
        return self.entity.instance_id

    @property
    def input(self) -> str:
        scheduler: dict[str, object] = {}
        if self.entity.exists:
            scheduler["exists"] = True
        if self.entity.state is not None:
            scheduler["state"] = self.entity.state
        return json.dumps(scheduler)

    @property
    def custom_status(self) -> str:
        return json.dumps({"entityExists": True} if self.entity.exists else {})


class EntityRunner:
    name = "entities"

    def __init__(
        self,
        runtime: Runtime,
        *,
        functions: Mapping[str, FunctionMetadata],
        catalog: FunctionCatalog,
        invoker: Invoker,
        max_concurrent: int,
        max_batch: int,
    ) -> None:
        self._rt = runtime
        self._functions = functions  # by lower-cased durable name
        self._catalog = catalog
        self._invoker = invoker
        self._max_batch = max(1, max_batch)
        self._entities: dict[str, Entity] = {}
        self._ready: deque[str] = deque()
        self._ready_set: set[str] = set()
        self._ready_event = asyncio.Event()
        self._running = 0
        self._slots = asyncio.Semaphore(max(1, max_concurrent))
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, max_concurrent), thread_name_prefix="devhost-entity"
        )
        runtime.route_entity_messages(self.deliver)

    # -- queries -------------------------------------------------------------------------------

    def get(self, instance_id: str) -> Entity | None:
        return self._entities.get(instance_id)

    def values(self) -> list[Entity]:
        return list(self._entities.values())

    # -- the Part protocol ---------------------------------------------------------------------

    def recover(self) -> None:
        for row in self._rt.store.entities():
            self._entities[row.instance_id] = Entity.from_row(row)
        for queued in self._rt.store.messages():
            if is_entity_id(queued.instance_id):
                event = json.loads(queued.event)
                self._entity(queued.instance_id).inbox.append(
                    Message(queued.id, queued.instance_id, queued.execution_id, event)
                )
        for entity in self._entities.values():
            self._offer(entity)

    def is_idle(self) -> bool:
        return not self._ready and self._running == 0

    def close(self) -> None:
        # Threads cannot be interrupted; a killed host re-runs what they were doing.
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def run(self) -> None:
        while True:
            if not self._ready:
                self._ready_event.clear()
                await self._ready_event.wait()
                continue
            await self._slots.acquire()
            instance_id = self._ready.popleft()
            self._ready_set.discard(instance_id)
            entity = self._entities.get(instance_id)
            if entity is None or entity.running or not entity.inbox:
                self._slots.release()
                continue  # a running batch offers its entity again when it ends
            entity.running = True
            self._running += 1
            self._rt.spawn(self._batch(entity), name=f"entity {instance_id}")

    # -- delivery ------------------------------------------------------------------------------

    def deliver(self, message: Message) -> None:
        """A committed message for an entity (the runtime routes them here)."""
        entity = self._entity(message.instance_id)
        entity.inbox.append(message)
        self._offer(entity)

    def _entity(self, instance_id: str) -> Entity:
        entity = self._entities.get(instance_id)
        if entity is None:
            name, key = split_scheduler_id(instance_id)
            entity = Entity(instance_id, name, key)
            self._entities[instance_id] = entity
        return entity

    def _offer(self, entity: Entity) -> None:
        if entity.inbox and not entity.running and entity.instance_id not in self._ready_set:
            self._ready_set.add(entity.instance_id)
            self._ready.append(entity.instance_id)
            self._ready_event.set()
            self._rt.notify()

    # -- batches -------------------------------------------------------------------------------

    async def _batch(self, entity: Entity) -> None:
        try:
            await self._run_batch(entity, entity.inbox[: self._max_batch])
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("batch of entity %s failed inside devhost", entity.instance_id)
        finally:
            entity.running = False
            self._running -= 1
            self._slots.release()
            self._offer(entity)
            self._rt.notify()

    async def _run_batch(self, entity: Entity, messages: list[Message]) -> None:
        requests = [r for r in (_request(m) for m in messages) if r is not None]
        if not requests:
            with self._rt.store.transaction():
                self._rt.instances.consume(messages)
            del entity.inbox[: len(messages)]
            return
        outcome = await self._execute(entity, requests)
        now = self._rt.clock.now()
        created = entity.created_time or now
        batches = entity.batches + 1
        operations = entity.operations + len(requests)
        outgoing: list[Message] = []
        with self._rt.store.transaction():
            self._rt.instances.consume(messages)
            self._rt.store.save_entity(
                EntityRow(
                    entity.instance_id,
                    entity.name,
                    entity.key,
                    outcome.exists,
                    outcome.state,
                    h.format_timestamp(created),
                    h.format_timestamp(now),
                    batches,
                    operations,
                )
            )
            for request, result in zip(requests, outcome.results, strict=True):
                response = self._respond(request, result, now)
                if response is not None:
                    outgoing.append(response)
            for signal in outcome.signals:
                # The entity's own signals (the Python SDK has no API for them; other SDKs do).
                sent = EntityRequest(
                    str(uuid.uuid4()), signal.operation, signal.input, True, entity.instance_id
                )
                event = h.event_raised(
                    now, REQUEST_EVENT, sent.to_json(DotNetTime.of(now), DotNetTime())
                )
                outgoing.append(self._rt.instances.queue_message(signal.target, None, event))
        del entity.inbox[: len(messages)]
        entity.exists, entity.state = outcome.exists, outcome.state
        entity.created_time, entity.last_updated_time = created, now
        entity.batches, entity.operations = batches, operations
        self._rt.deliver(outgoing)

    async def _execute(self, entity: Entity, requests: list[EntityRequest]) -> BatchOutcome:
        function = self._functions.get(entity.name)
        if function is None:
            reason = self._catalog.missing_entity(entity.name)
            log.warning("entity %s: %s", entity.instance_id, reason)
            return failed_batch(reason, len(requests), entity.exists, entity.state)
        context = batch_request(entity.name, entity.key, entity.exists, entity.state, requests)
        invocation = await self._invoker.invoke(
            function,
            {function.trigger_param: meta.Datum(type="string", value=context)},
            instance_id=entity.instance_id,
            executor=self._pool,
        )
        error = invocation.error
        if error is None:
            try:
                datum = encode_return(function, invocation.value)
                value = datum.value if datum is not None else invocation.value
                return parse_batch_result(value, len(requests))
            except (EntityProtocolError, TypeError) as problem:
                reason = str(problem)
        else:
            reason = f"{type(error).__name__}: {error}"
        log.error(
            "entity %s: the batch of %d failed: %s", entity.instance_id, len(requests), reason
        )
        return failed_batch(reason, len(requests), entity.exists, entity.state)

    def _respond(
        self, request: EntityRequest, result: OperationOutcome, now: datetime
    ) -> Message | None:
        """The response to a call, for the execution that made it (if it is still there)."""
        if request.signal or request.parent is None:
            return None
        target = self._rt.instances.get(request.parent)
        if (
            target is None
            or target.is_terminal
            or (request.parent_execution not in (None, target.execution_id))
        ):
            return None
        event = h.event_raised(now, request.id, response_json(result.result, result.is_error))
        return self._rt.instances.queue_message(request.parent, request.parent_execution, event)


def _request(message: Message) -> EntityRequest | None:
    """The request a message carries (anything else sent to an entity id is dropped)."""
    event = message.event
    name = str(event.get("Name") or "")
    if event.get("EventType") == EventType.EVENT_RAISED and name == REQUEST_EVENT:
        try:
            return EntityRequest.from_json(str(event.get("Input") or ""))
        except (ValueError, KeyError, TypeError):
            pass
    log.warning("dropping a message for entity %s that is not an operation", message.instance_id)
    return None
