"""Throttling: ARM's and Compute's token buckets, refilled in simulated time; the SDK's retry."""

from __future__ import annotations

import time
from typing import Any

import pytest

from emulator import (
    BucketConfig,
    ComputePolicy,
    EmulatorConfig,
    FaultConfig,
    PolicyWindow,
    ThrottleConfig,
)
from emulator.testing import RunningEmulator, running_emulator
from simclock import ScaledClock, VirtualClock
from tests.emulator.helpers import GALLERY, GALLERY_ID, IMAGE_ID, RG, definition, seed_world

GALLERY_PATH = f"{GALLERY_ID}?api-version=2026-03-03"


def throttled(**throttle: Any) -> EmulatorConfig:
    return EmulatorConfig(faults=FaultConfig(throttle=ThrottleConfig(enabled=True, **throttle)))


@pytest.mark.parametrize(
    "emulator_config", [throttled(reads=BucketConfig(capacity=3, refill_per_second=1))]
)
def test_arm_read_bucket(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    remaining = [
        emulator.request("GET", GALLERY_PATH).header("x-ms-ratelimit-remaining-subscription-reads")
        for _ in range(3)
    ]
    assert remaining == ["2", "1", "0"]
    refused = emulator.request("GET", GALLERY_PATH)
    assert refused.status == 429
    assert refused.body["error"]["code"] == "SubscriptionRequestsThrottled"
    assert refused.header("Retry-After") == "1"
    assert refused.header("retry-after-ms") == "1000", "the same simulated wait, as in Azure"
    assert emulator.request("GET", GALLERY_PATH).status == 429, "refusals take no token"
    emulator.advance(1)
    assert emulator.request("GET", GALLERY_PATH).status == 200
    log = emulator.emulator.request_log
    assert [r.fault for r in log] == [None, None, None, "throttled", "throttled", None]


@pytest.mark.parametrize(
    "emulator_config", [throttled(reads=BucketConfig(capacity=1, refill_per_second=0.001))]
)
def test_writes_and_deletes_have_their_own_buckets(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    assert emulator.request("GET", GALLERY_PATH).status == 200
    assert emulator.request("GET", GALLERY_PATH).status == 429
    put = emulator.request(
        "PUT", f"{GALLERY_ID}/images/d?api-version=2026-03-03", definition().as_dict()
    )
    assert put.status == 201
    assert put.header("x-ms-ratelimit-remaining-subscription-writes") == "199"
    delete = emulator.request("DELETE", f"{IMAGE_ID}?api-version=2026-04-01")
    assert delete.status == 202
    assert delete.header("x-ms-ratelimit-remaining-subscription-deletes") == "199"


COMPUTE = ComputePolicy(
    name="GalleryRead",
    operations=("galleries.get",),
    windows=(
        PolicyWindow(suffix="3Min", seconds=180, limit=2),
        PolicyWindow(suffix="30Min", seconds=1800, limit=100),
    ),
)


@pytest.mark.parametrize("emulator_config", [throttled(compute_policies=(COMPUTE,))])
def test_compute_policy(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    first = emulator.request("GET", GALLERY_PATH)
    assert first.header("x-ms-ratelimit-remaining-resource") == (
        "Microsoft.Compute/GalleryRead3Min;1,Microsoft.Compute/GalleryRead30Min;99"
    )
    assert emulator.request("GET", GALLERY_PATH).status == 200
    refused = emulator.request("GET", GALLERY_PATH)
    assert refused.status == 429
    error = refused.body["error"]
    assert error["code"] == "OperationNotAllowed"
    assert error["details"][0]["code"] == "TooManyRequests"
    assert error["details"][0]["target"] == "GalleryRead3Min"
    assert refused.header("Retry-After") == "90", "one of 2 tokens per 180 s"
    assert refused.header("retry-after-ms") == "90000"
    images = emulator.request("GET", f"{IMAGE_ID}?api-version=2026-04-01")
    assert images.status == 200, "the policy covers only the operations it names"
    emulator.advance(90)
    assert emulator.request("GET", GALLERY_PATH).status == 200


def test_default_policies_cover_gallery_and_image_calls() -> None:
    config = ThrottleConfig(enabled=True)
    names = {policy.name for policy in config.compute_policies}
    assert names == {"GalleryRead", "GalleryWrite", "LowCostGet", "PutDeleteImage"}


def test_sdk_retry_honours_the_wall_time_of_a_scaled_clock() -> None:
    # A token every 500 simulated seconds: at 2000x that is 0.25 s of wall time. Were the SDK to
    # sleep Retry-After (simulated seconds) in wall time, this would take minutes: the test
    # harness's retry policy converts it with the clock.
    config = throttled(reads=BucketConfig(capacity=1, refill_per_second=0.002))
    with running_emulator(ScaledClock(2000), config) as running:
        seed_world(running.emulator)
        client = running.client()
        started = time.monotonic()
        client.galleries.get(RG, GALLERY)
        client.galleries.get(RG, GALLERY)
        elapsed = time.monotonic() - started
        statuses = [r.status for r in running.emulator.request_log]
    assert statuses[:2] == [200, 429]
    assert statuses[-1] == 200
    assert elapsed < 5


def test_a_test_can_advance_a_virtual_clock_through_a_throttle() -> None:
    clock = VirtualClock()
    config = throttled(reads=BucketConfig(capacity=1, refill_per_second=0.01))
    with running_emulator(clock, config) as running:
        seed_world(running.emulator)
        client = running.client()
        client.galleries.get(RG, GALLERY)
        waits: list[str] = []

        def advance_on_429(response: Any) -> None:
            if response.http_response.status_code == 429:
                waits.append(response.http_response.headers["Retry-After"])
                clock.advance(float(response.http_response.headers["Retry-After"]))

        found = client.galleries.get(RG, GALLERY, raw_response_hook=advance_on_429)
    assert found.name == GALLERY
    assert waits == ["100"]


def test_retry_policy_converts_a_simulated_wait_with_its_clock() -> None:
    from azure.core.pipeline import PipelineResponse
    from azure.core.rest import HttpRequest

    from emulator.testing import EmulatorRetryPolicy

    class Answer:
        headers = {"Retry-After": "120", "retry-after-ms": "120000"}

    response: Any = PipelineResponse(HttpRequest("GET", "http://x"), Answer(), None)  # type: ignore[arg-type]
    assert EmulatorRetryPolicy(ScaledClock(60)).get_retry_after(response) == pytest.approx(2.0)
    assert EmulatorRetryPolicy(VirtualClock()).get_retry_after(response) == 0
    assert EmulatorRetryPolicy().get_retry_after(response) == 120, "no clock: as given"
