"""What happened, for tests and benchmarks: requests, counters, state changes, deliveries."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from emulator.resources import timestamp


@dataclass(frozen=True)
class RequestRecord:
    time: datetime
    method: str
    path: str
    #: The route template, e.g. ``/subscriptions/{subscriptionId}/.../galleries/{galleryName}``.
    template: str
    #: The SDK-style operation name, e.g. ``gallery_image_versions.get``.
    operation: str
    status: int
    error_code: str | None = None
    #: ``throttled``, ``error``, ``cache-lag``, ``source-throttled`` when the emulator injected
    #: the answer.
    fault: str | None = None
    #: The Azure RBAC action the request needs (``Microsoft.Compute/images/read``), whatever the
    #: answer; ``None`` when the path matched no route.
    action: str | None = None
    #: What the action applies to: the resource id, or for a list the scope holding it.
    scope: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = timestamp(self.time)
        return data


@dataclass(frozen=True)
class StateEvent:
    """A change of state: ``created``, ``updated``, ``provisioned``, ``replicating``,
    ``replicated``, ``region_failed``, ``succeeded``, ``failed``, ``deleting``, ``deleted``."""

    time: datetime
    kind: str
    resource_id: str
    region: str | None = None
    detail: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = timestamp(self.time)
        return data


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver an Event Grid event to a subscription's webhook.

    A dropped event (``DeliveryBehaviour.drop_probability``) is recorded once, with attempt 0,
    no status and ``dropped`` set; a duplicate's attempts say ``copy=2``."""

    time: datetime
    event_id: str
    subject: str
    attempt: int
    status: int | None
    error: str | None = None
    subscription: str = ""
    event_type: str = ""
    copy: int = 1
    dropped: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = timestamp(self.time)
        return data


@dataclass(frozen=True)
class ResourceWrite:
    """A write of a resource that a system topic would announce: a managed image written, or a
    version's PUT operation ended (``status`` ``Succeeded`` or ``Failed``)."""

    resource_id: str
    #: ``Microsoft.Compute/images``, ``Microsoft.Compute/galleries/images/versions``, ...
    resource_type: str
    status: str
    time: datetime
    #: The resource's JSON at that instant (Resource Notifications carry it).
    payload: dict[str, Any]
    #: The request that wrote it (client request id, address, method, URL), if it was one.
    request: dict[str, str] | None = None


class Recorder:
    """Thread-safe logs; readers get copies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._counters: Counter[str] = Counter()
        self._events: list[StateEvent] = []
        self._deliveries: list[Delivery] = []

    def request(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)
            self._counters[record.operation] += 1

    def event(self, event: StateEvent) -> None:
        with self._lock:
            self._events.append(event)

    def delivery(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    @property
    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)

    @property
    def events(self) -> list[StateEvent]:
        with self._lock:
            return list(self._events)

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._counters.clear()
            self._events.clear()
            self._deliveries.clear()
