"""What ARM says is left of its buckets reaches the activity's outcome, from every thread."""

from __future__ import annotations

from emulator import FaultConfig
from emulator.testing import SUBSCRIPTION, RunningEmulator
from migration.arm.inspection import inspect
from migration.durable.outcome import Outcome, capture
from tests.migration.arm.test_gallery import GALLERY, OTHER, WEB, seed
from tests.migration.factories import parse


def test_an_activity_reports_the_least_its_calls_were_told_remains(
    arm_endpoint: RunningEmulator,
) -> None:
    seed(arm_endpoint)
    throttle = {"enabled": True, "reads": {"capacity": 40, "refill_per_second": 0.001}}
    arm_endpoint.emulator.configure_faults(FaultConfig.model_validate({"throttle": throttle}))
    request = parse({"gallery": GALLERY, "images": [{"source": WEB}, {"source": OTHER}]})
    # The inspection reads on worker threads (the images, the gallery, the scale sets).
    outcome = Outcome.from_json(capture(lambda: inspect(request).complete))
    reads = sum(1 for r in arm_endpoint.emulator.request_log if r.method == "GET")
    assert reads >= 4
    assert outcome.remaining == {f"{SUBSCRIPTION.lower()}|reads": 40 - reads}
    # Outside an activity nothing is noted, and a capture without ARM calls carries nothing.
    assert Outcome.from_json(capture(lambda: 1)).remaining is None
