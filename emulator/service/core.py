"""What every resource kind shares: the stores, the timeline of due actions, the state-change
events, async operations, and the create / update / delete life cycle.

State is derived from the clock lazily. Work that takes time (provisioning, replicating a region,
deleting) is put on a timeline of actions due at simulated instants; :meth:`Core.settle` runs every
action that is due, in time order, each stamped with its own due time. Every request settles first,
so a virtual clock advanced by anyone (a test, a Durable host in the same process) moves
replication forward without a background task, and the state-change log records when things
happened rather than when someone looked.

A resource kind is a :class:`Kind`: the ARM paths it serves (``routes``) and a handler for each of
their operations (``handlers``), each taking a :class:`Call` and giving an :data:`Answer`.
``ComputeService`` (``emulator/service/__init__.py``) calls handlers under :attr:`Core.lock`,
settled to the call's instant, so a handler needs neither.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from emulator import ids
from emulator.config import EmulatorConfig
from emulator.errors import ArmErrorResponse, parent_not_found, resource_not_found
from emulator.faults import FaultInjector
from emulator.records import Recorder, ResourceWrite, StateEvent
from emulator.regions import Region
from emulator.resources import (
    Definition,
    DiskEncryptionSet,
    Gallery,
    ManagedImage,
    Operation,
    ScaleSet,
    Tracked,
    Version,
)
from emulator.routing import Route
from emulator.rules.common import check_location

Action = Callable[[datetime], None]
TrackedT = TypeVar("TrackedT", bound=Tracked)
#: Told of every write a system topic would announce (Event Grid).
WriteListener = Callable[[ResourceWrite], None]

#: The two families of async-operation status resources: gallery resources answer with
#: ``capsOperations``, managed images with ``operations``.
CAPS = "capsOperations"
COMPUTE = "operations"


@dataclass
class ArmResult:
    """A successful answer: status, body, and the async operation to point the client at."""

    status: int
    body: dict[str, Any] | None
    operation: Operation | None = None


@dataclass(frozen=True)
class Call:
    """One ARM request as a handler sees it: the path's names, the body, the instant."""

    #: The route's path parameters, e.g. ``subscriptionId``, ``galleryName``.
    params: dict[str, str]
    now: datetime
    raw: bytes = b""
    api_version: str = ""
    #: Query parameters, names lower-cased.
    query: dict[str, str] = field(default_factory=dict)
    #: Who wrote (client request id, address, method, URL), for Event Grid notifications.
    write_request: dict[str, str] | None = None

    @property
    def sub(self) -> str:
        return self.params["subscriptionId"]

    @property
    def rg(self) -> str:
        return self.params.get("resourceGroupName", "")

    @property
    def scope_rg(self) -> str | None:
        """The resource group a list is scoped to, ``None`` for a whole subscription."""
        return self.params.get("resourceGroupName")


#: What a handler gives back: a result, the items of a list (paged by ``routes``), or the
#: status of an async operation (``routes`` renders it as the client asked).
Answer = ArmResult | list[dict[str, Any]] | Operation
Handler = Callable[[Call], Answer]


class Core:
    """The state every resource kind reads and writes, and the timeline that moves it on."""

    def __init__(
        self,
        config: EmulatorConfig,
        recorder: Recorder,
        faults: FaultInjector,
        on_write: WriteListener | None = None,
    ) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.faults = faults
        self._recorder = recorder
        self._on_write = on_write
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.galleries: dict[str, Gallery] = {}
            self.definitions: dict[str, Definition] = {}
            self.versions: dict[str, Version] = {}
            self.images: dict[str, ManagedImage] = {}
            self.disk_encryption_sets: dict[str, DiskEncryptionSet] = {}
            self.scale_sets: dict[str, ScaleSet] = {}
            self.operations: dict[str, Operation] = {}
            self._timeline: list[tuple[datetime, int, Action]] = []
            self._order = itertools.count()
            self._rng = random.Random(self.config.seed)

    def find(self, key: str) -> Tracked | None:
        """The resource whose id key is ``key``, of whatever kind."""
        stores: tuple[dict[str, Any], ...] = (
            self.galleries,
            self.definitions,
            self.versions,
            self.images,
            self.disk_encryption_sets,
            self.scale_sets,
        )
        for store in stores:
            found: Tracked | None = store.get(key)
            if found is not None:
                return found
        return None

    # Time ---------------------------------------------------------------------------------------

    def settle(self, now: datetime) -> None:
        """Run every timeline action due at or before ``now``, oldest first."""
        with self.lock:
            while self._timeline and self._timeline[0][0] <= now:
                when, _, action = heapq.heappop(self._timeline)
                action(when)

    def at(self, when: datetime, action: Action) -> None:
        heapq.heappush(self._timeline, (when, next(self._order), action))

    def next_due(self) -> datetime | None:
        with self.lock:
            return self._timeline[0][0] if self._timeline else None

    def event(
        self,
        when: datetime,
        kind: str,
        resource_id: str,
        region: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._recorder.event(StateEvent(when, kind, resource_id, region, detail))

    def written(
        self,
        payload: dict[str, Any],
        when: datetime,
        request: dict[str, str] | None,
        status: str = "Succeeded",
    ) -> None:
        """A resource (``payload``, its JSON) was written at ``when``, or its write failed."""
        if self._on_write is not None:
            write = ResourceWrite(payload["id"], payload["type"], status, when, payload, request)
            self._on_write(write)

    def image_written(self, image: ManagedImage, when: datetime) -> None:
        self.written(image.render(), when, image.write_request)

    # Life cycle ---------------------------------------------------------------------------------

    def start_operation(
        self, resource: Tracked, family: str, sub: str, kind: str, now: datetime
    ) -> Operation:
        """A new async operation (``kind`` e.g. ``galleries.delete``), now ``resource``'s."""
        op_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        operation = Operation(
            op_id, family, sub, resource.location, kind, resource.resource_id, now
        )
        self.operations[op_id] = operation
        resource.operation = operation
        return operation

    def creating(
        self,
        resource: Tracked,
        family: str,
        sub: str,
        kind: str,
        seconds: float,
        now: datetime,
        then: Action | None = None,
    ) -> Operation:
        """A just-stored ``resource`` provisions for ``seconds``; ``then`` runs when it is done."""
        operation = self.start_operation(resource, family, sub, kind, now)
        self.event(now, "created", resource.resource_id)
        self._provision_after(resource, seconds, now, then)
        return operation

    def updating(
        self,
        resource: Tracked,
        family: str,
        sub: str,
        kind: str,
        seconds: float,
        now: datetime,
        then: Action | None = None,
    ) -> Operation:
        """A PUT changed ``resource``: it is ``Updating`` for ``seconds``, superseding any PUT."""
        self.supersede(resource, "Updating", now)
        operation = self.start_operation(resource, family, sub, kind, now)
        self.event(now, "updated", resource.resource_id)
        self._provision_after(resource, seconds, now, then)
        return operation

    def deleting(
        self,
        store: dict[str, TrackedT],
        resource: TrackedT,
        family: str,
        sub: str,
        kind: str,
        now: datetime,
    ) -> ArmResult:
        """Answer a DELETE: ``resource`` leaves ``store`` after the configured delete time."""
        if resource.state == "Deleting" and resource.operation is not None:
            return ArmResult(202, None, resource.operation)
        self.supersede(resource, "Deleting", now)
        operation = self.start_operation(resource, family, sub, kind, now)
        self.event(now, "deleting", resource.resource_id)
        generation = resource.generation

        def deleted(when: datetime) -> None:
            if resource.generation != generation or store.get(resource.key) is not resource:
                return
            del store[resource.key]
            if resource.operation is not None:
                resource.operation.finish(when, "Succeeded")
            self.event(when, "deleted", resource.resource_id)

        self.at(now + timedelta(seconds=self.config.timings.delete_seconds), deleted)
        return ArmResult(202, None, operation)

    @staticmethod
    def supersede(resource: Tracked, state: str, now: datetime) -> None:
        """A newer PUT or DELETE takes over: the running operation ends, pending actions lapse."""
        # End the operation it replaces, so that no poller on it waits forever.
        if resource.operation is not None and resource.operation.status == "InProgress":
            resource.operation.finish(
                now,
                "Canceled",
                {
                    "code": "OperationPreempted",
                    "message": "Operation execution has been preempted by a more recent operation.",
                },
            )
        resource.generation += 1
        resource.state = state

    def _provision_after(
        self, resource: Tracked, seconds: float, now: datetime, then: Action | None
    ) -> None:
        """``resource`` is Succeeded after ``seconds``, unless a later PUT or DELETE supersedes."""
        generation = resource.generation

        def provisioned(when: datetime) -> None:
            if resource.generation != generation:
                return
            resource.state = "Succeeded"
            if resource.operation is not None:
                resource.operation.finish(when, "Succeeded")
            self.event(when, "provisioned", resource.resource_id)
            if then is not None:
                then(when)

        self.at(now + timedelta(seconds=seconds), provisioned)

    # Lookups ------------------------------------------------------------------------------------

    def gallery(self, sub: str, rg: str, gallery: str) -> Gallery | None:
        return self.galleries.get(ids.key(ids.gallery_id(sub, rg, gallery)))

    def definition(
        self, sub: str, rg: str, gallery: str, name: str, now: datetime
    ) -> Definition | None:
        """The definition, unless a cache-lag fault hides it for now."""
        found = self.definitions.get(ids.key(ids.definition_id(sub, rg, gallery, name)))
        if found is None or self.faults.hides(found.key, now):
            return None
        return found

    def require_gallery(self, sub: str, rg: str, gallery: str) -> Gallery:
        """The parent gallery of a request, or ARM's ``ParentResourceNotFound``."""
        found = self.gallery(sub, rg, gallery)
        if found is None:
            raise parent_not_found(gallery)
        return found

    def require_definition(
        self, sub: str, rg: str, gallery: str, name: str, now: datetime
    ) -> Definition:
        """The parent definition (and gallery) of a request, or ``ParentResourceNotFound``."""
        self.require_gallery(sub, rg, gallery)
        found = self.definition(sub, rg, gallery, name, now)
        if found is None:
            raise parent_not_found(f"{gallery}/{name}")
        return found

    def versions_copying(self, image: ManagedImage) -> list[Version]:
        """The versions with a region still reading ``image``."""
        return [
            version
            for version in self.versions.values()
            if version.source_key == image.key and version.copying_source
        ]


class Kind(ABC):
    """One resource kind: the ARM paths it serves and a handler for each of their operations."""

    #: The kind's ARM paths, each mapping HTTP methods to operation names.
    routes: ClassVar[tuple[Route, ...]] = ()

    def __init__(self, core: Core) -> None:
        self.core = core

    @abstractmethod
    def handlers(self) -> dict[str, Handler]:
        """Operation name -> handler, one for every operation ``routes`` names."""


def seed_target(resource_id: str, resource_type: str, location: str) -> tuple[ids.ParsedId, Region]:
    """Where a seeded resource of ``resource_type`` (``Microsoft.Compute/galleries``) goes:
    ``ValueError`` (never an ARM error) when its id is not one in a resource group, or its
    location is unknown."""
    parsed = ids.parse_id(resource_id)
    if (
        parsed is None
        or parsed.resource_group is None
        or parsed.resource_type.lower() != resource_type.lower()
    ):
        raise ValueError(f"not a {resource_type} id in a resource group: {resource_id}")
    with refused_as_value_error(resource_id):
        region = check_location(location, resource_type)
    return parsed, region


@contextmanager
def refused_as_value_error(resource_id: str) -> Iterator[None]:
    """Seeding refuses what the rules refuse, as ``ValueError`` (it is no ARM request)."""
    try:
        yield
    except ArmErrorResponse as exc:
        raise ValueError(f"{resource_id}: {exc.message}") from exc


def require(store: dict[str, TrackedT], call: Call, type_name: str, name: str) -> TrackedT:
    """The ``Microsoft.Compute/<type_name>/<name>`` in the call's resource group, or ARM's 404."""
    resource_id = f"{ids.resource_group_id(call.sub, call.rg)}/providers/{ids.PROVIDER}/{type_name}"
    found = store.get(ids.key(f"{resource_id}/{name}"))
    if found is None:
        raise resource_not_found(type_name, name, call.rg)
    return found


def in_flight(resource: Tracked) -> Operation | None:
    operation = resource.operation
    return operation if operation is not None and operation.status == "InProgress" else None


def by_key(resources: Iterable[TrackedT]) -> list[TrackedT]:
    return sorted(resources, key=lambda resource: resource.key)


def within(resources: Iterable[TrackedT], sub: str, rg: str | None) -> list[TrackedT]:
    """The resources under a subscription, or a resource group of it, in a stable order."""
    scope = ids.resource_group_id(sub, rg) if rg else f"/subscriptions/{sub}"
    prefix = ids.key(scope) + "/"
    return [resource for resource in by_key(resources) if resource.key.startswith(prefix)]
