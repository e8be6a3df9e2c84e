"""What ARM says is left of its buckets reaches the activity's outcome, from every thread."""

from __future__ import annotations

from azure.core.pipeline import PipelineContext, PipelineRequest, PipelineResponse
from azure.core.rest import HttpRequest

from emulator import FaultConfig
from emulator.testing import SUBSCRIPTION, RunningEmulator
from migration.arm.inspection import inspect
from migration.arm.quota import RESOURCE_HEADER as RESOURCE
from migration.arm.quota import RemainingQuotaPolicy, collecting
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


def test_computes_gallery_write_policy_is_noted_as_gallery_writes() -> None:
    def noted(method: str, headers: dict[str, str]) -> dict[str, int]:
        url = f"https://management.azure.com/subscriptions/{SUBSCRIPTION}/resourceGroups/g/x"
        request = PipelineRequest(HttpRequest(method, url), PipelineContext(None))
        answer = type("Answer", (), {"headers": headers})()
        with collecting() as remaining:
            assert remaining is not None
            RemainingQuotaPolicy().on_response(
                request, PipelineResponse(request.http_request, answer, request.context)
            )
            return remaining.least

    sub = SUBSCRIPTION.lower()
    gallery = "Microsoft.Compute/GalleryWrite3Min;12,Microsoft.Compute/GalleryWrite30Min;900"
    assert noted(
        "PUT", {"x-ms-ratelimit-remaining-subscription-writes": "199", RESOURCE: gallery}
    ) == {
        f"{sub}|writes": 199,
        f"{sub}|galleryWrites": 12,
    }
    # Other policies bound ARM's bucket of the call's kind.
    image = "Microsoft.Compute/PutDeleteImage3Min;7,Microsoft.Compute/PutDeleteImage30Min;70"
    assert noted("DELETE", {RESOURCE: image}) == {f"{sub}|deletes": 7}
