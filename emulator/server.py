"""The :class:`Emulator`: one ARM compute endpoint with its clock, state, faults and records."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any

from aiohttp import web

from emulator.config import EmulatorConfig, FaultConfig
from emulator.eventgrid import EventGridPublisher
from emulator.faults import FaultInjector
from emulator.records import Delivery, Recorder, RequestRecord, StateEvent
from emulator.routes import build_app
from emulator.seeding import (
    SeedData,
    SeedDiskEncryptionSet,
    SeedImage,
    SeedScaleSet,
    image_body,
)
from emulator.service import ComputeService
from emulator.service.core import seed_target
from emulator.service.disk_encryption_sets import DES_TYPE
from emulator.service.galleries import seed_gallery_target
from emulator.service.images import seed_image_spec
from emulator.service.scale_sets import SCALE_SET_TYPE
from emulator.throttling import Throttler
from simclock import Clock, RealClock, VirtualClock


class Emulator:
    """The ARM compute subset on loopback, driven by a clock it is given (real by default).

    Serve it with ``async with emu.serve() as base_url`` inside an event loop, or with
    ``with emu.serve_in_background() as base_url`` from synchronous code (a thread runs the loop).
    Every method here is safe to call from any thread.
    """

    def __init__(self, clock: Clock | None = None, config: EmulatorConfig | None = None) -> None:
        self.clock: Clock = clock if clock is not None else RealClock()
        self.config = config if config is not None else EmulatorConfig()
        self.recorder = Recorder()
        self.faults = FaultInjector(self.config.faults)
        self.throttler = Throttler(self.config.faults.throttle)
        self.publisher = EventGridPublisher(self.config, self.clock, self.recorder)
        self.service = ComputeService(
            self.config, self.recorder, self.faults, on_write=self.publisher.publish
        )
        #: The application, for hosting it yourself; :meth:`serve` builds its own.
        self.app: web.Application = build_app(self)

    # Serving ------------------------------------------------------------------------------------

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Listen on a real socket in the running loop; yields the base URL."""
        runner = web.AppRunner(build_app(self), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound_host, bound_port = runner.addresses[0][:2]
            yield f"http://{_url_host(bound_host)}:{bound_port}"
        finally:
            await runner.cleanup()

    @contextmanager
    def serve_in_background(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve from a thread of its own, for synchronous callers such as the SDK's clients."""
        ready = threading.Event()
        stop: list[asyncio.Event] = []
        loop_box: list[asyncio.AbstractEventLoop] = []
        url: list[str] = []
        failure: list[BaseException] = []

        async def main() -> None:
            try:
                async with self.serve(host, port) as base_url:
                    stop.append(asyncio.Event())
                    loop_box.append(asyncio.get_running_loop())
                    url.append(base_url)
                    ready.set()
                    await stop[0].wait()
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                raise

        thread = threading.Thread(target=asyncio.run, args=(main(),), name="emulator", daemon=True)
        thread.start()
        ready.wait()
        if failure:
            thread.join()
            raise RuntimeError("the emulator failed to start") from failure[0]
        try:
            yield url[0]
        finally:
            loop_box[0].call_soon_threadsafe(stop[0].set)
            thread.join()

    # Time ---------------------------------------------------------------------------------------

    def settle(self) -> None:
        """Apply every state change that is due by the clock's now."""
        self.service.settle(self.clock.now())

    def next_due(self) -> datetime | None:
        """When the next state change (or delayed Event Grid delivery) is due: the instant a
        host driving a virtual clock may advance to without skipping anything the emulator
        would do."""
        dues = [d for d in (self.service.next_due(), self.publisher.next_due()) if d is not None]
        return min(dues, default=None)

    def advance(self, seconds: float) -> None:
        """Move a virtual clock forward and apply what became due."""
        if not isinstance(self.clock, VirtualClock):
            raise TypeError(f"{self.clock!r} cannot be advanced")
        self.clock.advance(seconds)
        self.settle()

    # Records ------------------------------------------------------------------------------------

    @property
    def request_log(self) -> list[RequestRecord]:
        return self.recorder.requests

    @property
    def counters(self) -> dict[str, int]:
        """Requests per operation name, e.g. ``{"gallery_image_versions.get": 12}``."""
        return self.recorder.counters

    @property
    def events(self) -> list[StateEvent]:
        """State changes up to now (settled first), each stamped with when it happened."""
        self.settle()
        return self.recorder.events

    @property
    def deliveries(self) -> list[Delivery]:
        """Event Grid delivery attempts."""
        return self.recorder.deliveries

    # Configuration and state --------------------------------------------------------------------

    async def drain_deliveries(self) -> None:
        """Wait until every Event Grid delivery under way has been answered (or given up)."""
        await self.publisher.drain()

    @property
    def fault_config(self) -> FaultConfig:
        return self.faults.config

    def configure_faults(self, faults: FaultConfig) -> None:
        """Replace the fault and throttling configuration (re-seeding its randomness)."""
        self.faults.configure(faults)
        self.throttler.configure(faults.throttle)

    def reset(self) -> None:
        """Forget every resource, operation and record; faults and throttling start afresh."""
        self.service.reset()
        self.recorder.clear()
        self.configure_faults(self.faults.config)

    def seed_gallery(
        self, resource_id: str, location: str = "eastus", **extras: Any
    ) -> dict[str, Any]:
        """Create a gallery directly (``tags=`` for tags; other keywords become properties)."""
        tags = dict(extras.pop("tags", None) or {})
        return self.service.seed_gallery(resource_id, location, extras, tags, self.clock.now())

    def seed_image(
        self,
        resource_id: str,
        location: str = "eastus",
        os_type: str = "Linux",
        os_disk_gb: int = 30,
        data_disks_gb: Sequence[int] = (),
        hyper_v_generation: str | None = "V2",
        provisioning_state: str = "Succeeded",
        tags: dict[str, str] | None = None,
        os_state: str = "Generalized",
    ) -> dict[str, Any]:
        """Create a managed image directly, as if captured from a VM."""
        seed = SeedImage.model_validate(
            {
                "id": resource_id,
                "location": location,
                "os_type": os_type,
                "os_state": os_state,
                "os_disk_gb": os_disk_gb,
                "data_disks_gb": list(data_disks_gb),
                "hyper_v_generation": hyper_v_generation,
                "provisioning_state": provisioning_state,
                "tags": tags or {},
            }
        )
        return self.service.seed_image(seed.id, image_body(seed), self.clock.now())

    def seed_disk_encryption_set(
        self,
        resource_id: str,
        location: str = "eastus",
        encryption_type: str = "EncryptionAtRestWithCustomerKey",
        key_url: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a disk encryption set directly (Succeeded, system-assigned identity)."""
        seed = SeedDiskEncryptionSet.model_validate(
            {
                "id": resource_id,
                "location": location,
                "encryption_type": encryption_type,
                "key_url": key_url,
                "tags": tags or {},
            }
        )
        return self.service.seed_disk_encryption_set(seed, self.clock.now())

    def seed_scale_set(
        self,
        resource_id: str,
        location: str = "eastus",
        image_id: str | None = None,
        capacity: int = 2,
        sku_name: str = "Standard_D2s_v5",
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create a virtual machine scale set directly, deploying from ``image_id`` (its
        ``imageReference.id``; a marketplace image when ``None``)."""
        seed = SeedScaleSet.model_validate(
            {
                "id": resource_id,
                "location": location,
                "image_id": image_id,
                "capacity": capacity,
                "sku_name": sku_name,
                "tags": tags or {},
            }
        )
        return self.service.seed_scale_set(seed, self.clock.now())

    def seed(self, data: SeedData) -> None:
        """Create everything in ``data``, or nothing: ``ValueError`` names what is invalid."""
        # Check everything first: each raises on what cannot be seeded.
        for gallery in data.galleries:
            seed_gallery_target(gallery.id, gallery.location)
        for image in data.images:
            seed_image_spec(image.id, image_body(image))
        for des in data.disk_encryption_sets:
            seed_target(des.id, DES_TYPE, des.location)
        for scale_set in data.scale_sets:
            seed_target(scale_set.id, SCALE_SET_TYPE, scale_set.location)
        now = self.clock.now()
        for gallery in data.galleries:
            self.seed_gallery(gallery.id, gallery.location, tags=gallery.tags, **gallery.properties)
        for image in data.images:
            self.service.seed_image(image.id, image_body(image), now)
        for des in data.disk_encryption_sets:
            self.service.seed_disk_encryption_set(des, now)
        for scale_set in data.scale_sets:
            self.service.seed_scale_set(scale_set, now)

    def resource(self, resource_id: str) -> dict[str, Any] | None:
        """The JSON of any resource by id (versions with their replication status), or ``None``."""
        return self.service.resource(resource_id, self.clock.now())


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
