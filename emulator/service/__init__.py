"""The compute service: the resource kinds the emulator serves, over one shared core.

Where things live:

- ``core.py``: the stores, the timeline of due actions, state-change events, async operations,
  the create / update / delete life cycle, lookups every kind shares, and :class:`Kind`.
- One module per resource kind, each a :class:`Kind` with its ARM routes, its handlers and their
  behaviour: ``galleries.py``, ``definitions.py``, ``versions.py`` (with ``replicating.py``, the
  regions on the timeline), ``images.py``, ``operations.py`` (async-operation status).
- The rules a kind applies (validation, error texts) are in ``emulator/rules/``, one module per
  kind plus names and common rules; generic ARM errors in ``emulator/errors.py``.

A new resource kind: a module with a ``Kind`` subclass (its ``routes`` from the templates in
``emulator/routing.py``, a handler per operation), its store in ``Core`` if other kinds read it,
and one line in :meth:`ComputeService.__init__`. ``emulator/routes.py`` needs no change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from emulator import ids
from emulator.config import EmulatorConfig
from emulator.faults import FaultInjector
from emulator.records import Recorder
from emulator.resources import (
    Definition,
    DiskEncryptionSet,
    Gallery,
    ManagedImage,
    ScaleSet,
    Version,
)
from emulator.routing import Route
from emulator.seeding import SeedDiskEncryptionSet, SeedScaleSet
from emulator.service.core import Answer, ArmResult, Call, Core, Handler, Kind, WriteListener
from emulator.service.definitions import Definitions
from emulator.service.disk_encryption_sets import DiskEncryptionSets
from emulator.service.galleries import Galleries
from emulator.service.images import Images
from emulator.service.locations import Locations
from emulator.service.operations import Operations
from emulator.service.scale_sets import ScaleSets
from emulator.service.versions import Versions

__all__ = ["Answer", "ArmResult", "Call", "ComputeService"]


class ComputeService:
    """Every resource kind over one :class:`Core`; each call is answered under its lock, settled
    to the call's instant. The in-process API may be called from any thread."""

    def __init__(
        self,
        config: EmulatorConfig,
        recorder: Recorder,
        faults: FaultInjector,
        on_write: WriteListener | None = None,
    ) -> None:
        self.core = Core(config, recorder, faults, on_write)
        self.lock = self.core.lock
        self.galleries = Galleries(self.core)
        self.images = Images(self.core)
        self.disk_encryption_sets = DiskEncryptionSets(self.core)
        self.scale_sets = ScaleSets(self.core)
        kinds = (
            self.galleries,
            Definitions(self.core),
            Versions(self.core),
            self.images,
            Operations(self.core),
            self.disk_encryption_sets,
            self.scale_sets,
            Locations(self.core),
        )
        self.routes, self._handlers = dispatch_table(kinds)

    def handle(self, operation: str, call: Call) -> Answer:
        """Answer ``call`` with the handler of ``operation`` (a name from :attr:`routes`)."""
        with self.lock:
            self.core.settle(call.now)
            return self._handlers[operation](call)

    def reset(self) -> None:
        self.core.reset()

    def settle(self, now: datetime) -> None:
        """Run every timeline action due at or before ``now``, oldest first."""
        self.core.settle(now)

    def next_due(self) -> datetime | None:
        """When the next state change is due (for hosts that advance a virtual clock)."""
        return self.core.next_due()

    def location_of(self, path_key: str) -> str | None:
        """The location of the resource at ``path_key`` (an id key), if it exists."""
        with self.lock:
            found = self.core.find(path_key)
            return str(found.location) if found is not None else None

    def resource(self, resource_id: str, now: datetime) -> dict[str, Any] | None:
        """Any resource's JSON (a version with its replication status), or ``None``."""
        with self.lock:
            self.core.settle(now)
            found = self.core.find(ids.key(resource_id))
            if isinstance(found, Version):
                return found.render(now, expand_replication=True)
            if isinstance(
                found, Gallery | Definition | ManagedImage | DiskEncryptionSet | ScaleSet
            ):
                return found.render()
            return None

    def seed_gallery(
        self,
        resource_id: str,
        location: str,
        properties: dict[str, Any],
        tags: dict[str, str],
        now: datetime,
    ) -> dict[str, Any]:
        with self.lock:
            self.core.settle(now)
            return self.galleries.seed(resource_id, location, properties, tags, now)

    def seed_image(
        self, resource_id: str, spec_body: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        with self.lock:
            self.core.settle(now)
            return self.images.seed(resource_id, spec_body, now)

    def seed_disk_encryption_set(
        self, seed: SeedDiskEncryptionSet, now: datetime
    ) -> dict[str, Any]:
        with self.lock:
            self.core.settle(now)
            return self.disk_encryption_sets.seed(seed, now)

    def seed_scale_set(self, seed: SeedScaleSet, now: datetime) -> dict[str, Any]:
        with self.lock:
            self.core.settle(now)
            return self.scale_sets.seed(seed, now)


def dispatch_table(kinds: Iterable[Kind]) -> tuple[tuple[Route, ...], dict[str, Handler]]:
    """All the kinds' routes, and the handler of every operation they name.

    ``TypeError`` when an operation has no handler or two kinds claim one, so that a kind
    registered half-way fails at start-up rather than at its first request."""
    routes: list[Route] = []
    handlers: dict[str, Handler] = {}
    for kind in kinds:
        routes.extend(kind.routes)
        own = kind.handlers()
        if claimed := own.keys() & handlers.keys():
            raise TypeError(f"operations handled twice: {sorted(claimed)}")
        handlers.update(own)
    named = {operation for route in routes for operation in route.operations.values()}
    if unserved := named - handlers.keys():
        raise TypeError(f"operations without a handler: {sorted(unserved)}")
    return tuple(routes), handlers
