"""Long-running operations as Azure runs them and the SDK polls them."""

from __future__ import annotations

import re

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient

from emulator import EmulatorConfig, Timings
from emulator.testing import SUBSCRIPTION, RunningEmulator, wait_until
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    IMAGE,
    PREFIX,
    RG,
    create_definition,
    definition,
    get_version,
    seed_world,
    version,
)

GALLERY_API = "api-version=2026-03-03"
CAPS = re.compile(
    rf"^http://127\.0\.0\.1:\d+/subscriptions/{SUBSCRIPTION}/providers/Microsoft\.Compute/"
    r"locations/eastus/capsOperations/[0-9a-f-]{36}\?api-version=2026-03-03$"
)


def definition_body() -> dict[str, object]:
    return definition().as_dict()


def test_definition_put_answers_201_with_an_async_operation(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    response = emulator.request(
        "PUT", f"{PREFIX}/galleries/{GALLERY}/images/{DEFINITION}?{GALLERY_API}", definition_body()
    )
    assert response.status == 201
    assert response.body["properties"]["provisioningState"] == "Creating"
    operation_url = response.header("Azure-AsyncOperation")
    assert operation_url is not None
    assert CAPS.match(operation_url), operation_url
    status = emulator.request("GET", operation_url.split(emulator.base_url, 1)[1])
    assert status.status == 200
    assert status.body["status"] == "Succeeded"
    assert set(status.body) == {"name", "status", "startTime", "endTime"}
    assert operation_url.split("?")[0].endswith(status.body["name"])


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(timings=Timings(definition_seconds=30))]
)
def test_definition_operation_runs_until_its_time_is_up(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    poller = arm.gallery_images.begin_create_or_update(
        RG, GALLERY, DEFINITION, definition(), polling_interval=0.01
    )
    wait_until(lambda: emulator.emulator.counters.get("caps_operations.get", 0) >= 3)
    assert not poller.done()
    assert arm.gallery_images.get(RG, GALLERY, DEFINITION).provisioning_state == "Creating"
    emulator.advance(30)
    assert poller.result(timeout=10).provisioning_state == "Succeeded"
    operations = [r.operation for r in emulator.emulator.request_log]
    # The SDK's final GET of the resource, after the operation succeeded.
    assert operations[-1] == "gallery_images.get"


def test_version_put_finishes_only_when_replication_does(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    poller = arm.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, DEFINITION, "1.0.0", version(), polling_interval=0.01
    )
    wait_until(lambda: emulator.emulator.counters.get("caps_operations.get", 0) >= 3)
    emulator.advance(600)
    polls = emulator.emulator.counters["caps_operations.get"]
    wait_until(lambda: emulator.emulator.counters["caps_operations.get"] >= polls + 3)
    assert not poller.done()
    assert poller.status() == "InProgress"
    emulator.advance(24 * 3600)
    done = poller.result(timeout=10)
    assert done.provisioning_state == "Succeeded"
    succeeded = [e for e in emulator.emulator.events if e.kind == "succeeded"]
    assert len(succeeded) == 1
    status = emulator.request(
        "GET",
        [r.path for r in emulator.emulator.request_log if r.operation == "caps_operations.get"][-1]
        + f"?{GALLERY_API}",
    )
    assert status.body["status"] == "Succeeded"
    assert status.body["endTime"] == succeeded[0].time.isoformat()


def test_failed_operation_carries_its_error(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator, os_type="Windows")
    create_definition(arm)
    response = emulator.request(
        "PUT",
        f"{PREFIX}/galleries/{GALLERY}/images/{DEFINITION}/versions/1.0.0?{GALLERY_API}",
        version().as_dict(),
    )
    assert response.status == 201
    operation_url = response.header("Azure-AsyncOperation")
    assert operation_url is not None
    status = emulator.request("GET", operation_url.split(emulator.base_url, 1)[1])
    assert status.body["status"] == "Failed"
    assert status.body["error"]["code"] == "Conflict"


def test_version_delete_answers_202_with_both_headers(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    arm.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, DEFINITION, "1.0.0", version(block_deletion=False), polling=False
    )
    path = f"{PREFIX}/galleries/{GALLERY}/images/{DEFINITION}/versions/1.0.0?{GALLERY_API}"
    response = emulator.request("DELETE", path)
    assert response.status == 202
    assert response.body is None
    async_url = response.header("Azure-AsyncOperation")
    location = response.header("Location")
    assert async_url is not None
    assert CAPS.match(async_url)
    assert location == async_url.replace("?api-version", "?monitor=true&api-version")
    monitor = emulator.request("GET", location.split(emulator.base_url, 1)[1])
    assert monitor.status == 204
    assert emulator.request("GET", path).status == 404
    assert emulator.request("DELETE", path).status == 204


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(timings=Timings(delete_seconds=20))])
def test_delete_is_in_progress_until_done(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    response = emulator.request("DELETE", f"{PREFIX}/images/{IMAGE}?api-version=2026-04-01")
    assert response.status == 202
    async_url = response.header("Azure-AsyncOperation")
    assert async_url is not None
    assert "/locations/eastus/operations/" in async_url
    location = response.header("Location")
    assert location is not None
    assert emulator.request("GET", location.split(emulator.base_url, 1)[1]).status == 202
    assert arm.images.get(RG, IMAGE).provisioning_state == "Deleting"
    emulator.advance(20)
    assert emulator.request("GET", location.split(emulator.base_url, 1)[1]).status == 204
    assert (
        emulator.request("GET", async_url.split(emulator.base_url, 1)[1]).body["status"]
        == "Succeeded"
    )


def test_deleting_a_replicating_version_cancels_its_put(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    response = emulator.request(
        "PUT",
        f"{PREFIX}/galleries/{GALLERY}/images/{DEFINITION}/versions/1.0.0?{GALLERY_API}",
        version(block_deletion=False).as_dict(),
    )
    put_url = response.header("Azure-AsyncOperation")
    assert put_url is not None
    arm.gallery_image_versions.begin_delete(RG, GALLERY, DEFINITION, "1.0.0").result()
    status = emulator.request("GET", put_url.split(emulator.base_url, 1)[1]).body
    assert status["status"] == "Canceled"
    emulator.advance(24 * 3600)
    assert not [e for e in emulator.emulator.events if e.kind in ("replicated", "succeeded")]


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(timings=Timings(definition_seconds=30))]
)
def test_a_newer_put_preempts_an_unfinished_operation(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    path = f"{PREFIX}/galleries/{GALLERY}/images/{DEFINITION}?{GALLERY_API}"
    first = emulator.request("PUT", path, definition().as_dict()).header("Azure-AsyncOperation")
    assert first is not None
    second = emulator.request("PUT", path, definition(description="changed").as_dict())
    assert second.body["properties"]["provisioningState"] == "Updating"
    status = emulator.request("GET", first.split(emulator.base_url, 1)[1]).body
    assert status["status"] == "Canceled"
    assert status["error"]["code"] == "OperationPreempted"
    emulator.advance(60)
    assert emulator.request("GET", path).body["properties"]["provisioningState"] == "Succeeded"


def test_unknown_operation_is_not_found(emulator: RunningEmulator) -> None:
    path = (
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Compute/locations/eastus/"
        f"capsOperations/00000000-0000-4000-8000-000000000000?{GALLERY_API}"
    )
    response = emulator.request("GET", path)
    assert response.status == 404
    assert response.body["error"] == {
        "code": "ResourceNotFound",
        "message": "The operation '00000000-0000-4000-8000-000000000000' was not found in "
        "location 'eastus'.",
    }


def test_version_lro_result_raises_when_a_region_fails_late(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    from emulator import FailingRegion, FaultConfig

    emulator.emulator.configure_faults(
        FaultConfig(failing_regions={"West US 2": FailingRegion(at_progress=75)})
    )
    seed_world(emulator.emulator)
    create_definition(arm)
    poller = arm.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, DEFINITION, "1.0.0", version(), polling_interval=0.01
    )
    emulator.advance(24 * 3600)
    with pytest.raises(HttpResponseError) as caught:
        poller.result(timeout=10)
    assert caught.value.error is not None
    assert caught.value.error.code == "InternalOperationError"
    assert "Replication failed in region 'West US 2' due to 'An internal error" in str(caught.value)
    assert get_version(arm).provisioning_state == "Failed"
