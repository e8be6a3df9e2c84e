"""A local stand-in for the ARM compute API that a gallery migration uses.

Galleries, image definitions, image versions (with replication that takes time), managed images and
their async operations, with Azure's rules, error texts, throttling and injectable faults. Run it as
``python -m emulator`` or in-process::

    from emulator import Emulator, EmulatorConfig
    from simclock import VirtualClock

    emu = Emulator(VirtualClock(), EmulatorConfig(page_size=5))
    async with emu.serve() as base_url:
        ...

See docs/emulator.md.
"""

from emulator.config import (
    BucketConfig,
    ComputePolicy,
    DeliveryBehaviour,
    DeniedAction,
    EmulatorConfig,
    EventSubscription,
    FailingRegion,
    FaultConfig,
    PolicyWindow,
    ReplicationModel,
    ThrottleConfig,
    Timings,
)
from emulator.records import Delivery, RequestRecord, StateEvent
from emulator.seeding import (
    SeedData,
    SeedDiskEncryptionSet,
    SeedGallery,
    SeedImage,
    SeedScaleSet,
)
from emulator.server import Emulator

__all__ = [
    "BucketConfig",
    "ComputePolicy",
    "Delivery",
    "DeliveryBehaviour",
    "DeniedAction",
    "Emulator",
    "EmulatorConfig",
    "EventSubscription",
    "FailingRegion",
    "FaultConfig",
    "PolicyWindow",
    "ReplicationModel",
    "RequestRecord",
    "SeedData",
    "SeedDiskEncryptionSet",
    "SeedGallery",
    "SeedImage",
    "SeedScaleSet",
    "StateEvent",
    "ThrottleConfig",
    "Timings",
]
