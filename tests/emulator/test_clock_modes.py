"""The emulator's clock: real, scaled or virtual. Wall time is spent only where it is the point."""

from __future__ import annotations

import time

from emulator import Emulator, EmulatorConfig, ReplicationModel
from emulator.testing import running_emulator
from simclock import RealClock, ScaledClock
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    RG,
    create_definition,
    seed_world,
    version,
)


def test_default_clock_is_real() -> None:
    assert isinstance(Emulator().clock, RealClock)


def test_scaled_clock_runs_replication_in_a_fraction_of_the_time() -> None:
    # The default model: a 30 GB image takes about 12 and 22 simulated minutes to eastus and
    # westus2; at 3600x that is well under a second of wall time.
    with running_emulator(ScaledClock(3600)) as running:
        seed_world(running.emulator)
        client = running.client()
        create_definition(client)
        started = time.monotonic()
        poller = client.gallery_image_versions.begin_create_or_update(
            RG, GALLERY, DEFINITION, "1.0.0", version(), polling_interval=0.02
        )
        done = poller.result(timeout=20)
        elapsed = time.monotonic() - started
        events = {(e.kind, e.region): e.time for e in running.emulator.events}
    assert done.provisioning_state == "Succeeded"
    simulated = events[("succeeded", None)] - events[("replicating", "eastus")]
    assert simulated.total_seconds() > 15 * 60
    assert elapsed < 5


def test_real_clock_takes_real_time() -> None:
    model = ReplicationModel(
        base_seconds=0.3, seconds_per_gb=0, source_region_factor=1, per_extra_replica=0, jitter=0
    )
    with running_emulator(RealClock(), EmulatorConfig(replication=model)) as running:
        seed_world(running.emulator)
        client = running.client()
        create_definition(client)
        started = time.monotonic()
        poller = client.gallery_image_versions.begin_create_or_update(
            RG, GALLERY, DEFINITION, "1.0.0", version(), polling_interval=0.02
        )
        assert poller.result(timeout=10).provisioning_state == "Succeeded"
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 3
