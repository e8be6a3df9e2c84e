"""Injected faults: random server errors, cache lag, failing regions, latency, overloaded sources,
actions not granted; all seeded."""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient

from emulator import DeniedAction, EmulatorConfig, FailingRegion, FaultConfig
from emulator.testing import SUBSCRIPTION, RunningEmulator, running_emulator
from simclock import ScaledClock, VirtualClock
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    GALLERY_ID,
    IMAGE_ID,
    PREFIX,
    RG,
    create_definition,
    definition,
    error_code,
    get_version,
    seed_world,
    start_version,
    version,
)

GALLERY_PATH = f"{GALLERY_ID}?api-version=2026-03-03"


def statuses(seed: int, count: int = 40) -> list[int]:
    config = EmulatorConfig(faults=FaultConfig(seed=seed, error_rate=0.3))
    with running_emulator(config=config) as running:
        seed_world(running.emulator)
        return [running.request("GET", GALLERY_PATH).status for _ in range(count)]


def test_random_errors_are_seeded_and_reproducible() -> None:
    first, again, other = statuses(7), statuses(7), statuses(8)
    assert first == again
    assert first != other
    assert set(first) == {200, 500, 503}
    assert 0.1 < sum(status != 200 for status in first) / len(first) < 0.5


def test_random_error_bodies_are_arm_errors(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    emulator.emulator.configure_faults(FaultConfig(error_rate=1.0, error_statuses=(503,)))
    response = emulator.request("GET", GALLERY_PATH)
    assert response.status == 503
    assert response.body["error"]["code"] == "ServiceUnavailable"
    assert emulator.emulator.request_log[-1].fault == "error"
    emulator.emulator.configure_faults(FaultConfig(error_rate=1.0, error_statuses=(500,)))
    assert emulator.request("GET", GALLERY_PATH).body["error"]["code"] == "InternalServerError"


def test_errors_can_target_some_operations(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    emulator.emulator.configure_faults(
        FaultConfig(error_rate=1.0, error_operations=("gallery_image_versions.*",))
    )
    assert emulator.request("GET", GALLERY_PATH).status == 200


def test_sdk_retries_through_random_errors(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    emulator.emulator.configure_faults(FaultConfig(seed=3, error_rate=0.4))
    for _ in range(10):
        assert arm.galleries.get(RG, GALLERY).name == GALLERY
    log = emulator.emulator.request_log
    assert any(r.status >= 500 for r in log), "some attempts failed and were retried"
    assert sum(r.status == 200 for r in log) == 10


def test_persistent_errors_reach_the_caller(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    emulator.emulator.configure_faults(FaultConfig(error_rate=1.0, error_statuses=(500,)))
    with pytest.raises(HttpResponseError) as caught:
        arm.galleries.get(RG, GALLERY)
    assert caught.value.status_code == 500
    assert len(emulator.emulator.request_log) > 1, "retried before giving up"


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(faults=FaultConfig(cache_lag_requests=2))]
)
def test_a_just_created_child_is_briefly_not_found(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    arm.gallery_images.begin_create_or_update(RG, GALLERY, DEFINITION, definition(), polling=False)
    for _ in range(2):
        with pytest.raises(ResourceNotFoundError) as caught:
            arm.gallery_images.get(RG, GALLERY, DEFINITION)
        assert error_code(caught.value) == "ResourceNotFound"
    assert arm.gallery_images.get(RG, GALLERY, DEFINITION).name == DEFINITION
    assert [r.fault for r in emulator.emulator.request_log][-3:] == ["cache-lag", "cache-lag", None]


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(faults=FaultConfig(cache_lag_requests=1))]
)
def test_a_just_created_parent_briefly_hides_from_its_children(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    arm.gallery_images.begin_create_or_update(RG, GALLERY, DEFINITION, definition(), polling=False)
    with pytest.raises(ResourceNotFoundError) as caught:
        start_version(arm)
    assert error_code(caught.value) == "ParentResourceNotFound"
    start_version(arm)
    with pytest.raises(ResourceNotFoundError):
        get_version(arm)
    assert get_version(arm).provisioning_state == "Creating"


@pytest.mark.parametrize(
    "emulator_config",
    [EmulatorConfig(faults=FaultConfig(cache_lag_requests=5, cache_lag_seconds=10))],
)
def test_cache_lag_is_brief_in_time_too(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    arm.gallery_images.begin_create_or_update(RG, GALLERY, DEFINITION, definition(), polling=False)
    with pytest.raises(ResourceNotFoundError):
        arm.gallery_images.get(RG, GALLERY, DEFINITION)
    emulator.advance(11)
    assert arm.gallery_images.get(RG, GALLERY, DEFINITION).name == DEFINITION


@pytest.mark.parametrize(
    "emulator_config",
    [
        EmulatorConfig(
            faults=FaultConfig(
                failing_regions={
                    "westus2": FailingRegion(
                        at_progress=40, code="ReplicationFailed", message="disk copy failed"
                    )
                }
            )
        )
    ],
)
def test_a_failing_region(emulator: RunningEmulator, arm: ComputeManagementClient) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm)
    emulator.advance(24 * 3600)
    failed = get_version(arm)
    assert failed.provisioning_state == "Failed"
    assert failed.replication_status.aggregated_state == "Failed"
    summary = {s.region: s for s in failed.replication_status.summary}
    assert summary["East US"].state == "Completed"
    assert summary["West US 2"].state == "Failed"
    assert summary["West US 2"].progress == 40
    assert (
        summary["West US 2"].details
        == "Replication failed in this region due to 'disk copy failed'"
    )
    kinds = [(e.kind, e.region) for e in emulator.emulator.events]
    assert ("region_failed", "westus2") in kinds
    assert ("failed", None) in kinds


@pytest.mark.parametrize(
    "emulator_config",
    [EmulatorConfig(faults=FaultConfig(failing_regions={"westus2": FailingRegion()}))],
)
def test_re_put_retries_the_failed_regions(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm)
    emulator.advance(24 * 3600)
    assert get_version(arm).provisioning_state == "Failed"
    emulator.emulator.configure_faults(FaultConfig())
    start_version(arm)
    retrying = get_version(arm)
    assert retrying.provisioning_state == "Updating"
    states = {s.region: (s.state, s.progress) for s in retrying.replication_status.summary}
    assert states == {"East US": ("Completed", 100), "West US 2": ("Replicating", 0)}
    emulator.advance(24 * 3600)
    assert get_version(arm).provisioning_state == "Succeeded"


def test_latency_is_simulated_time_in_wall_terms() -> None:
    # 2 simulated seconds per request at 20x is 0.1 s of wall time.
    config = EmulatorConfig(faults=FaultConfig(latency_seconds=2.0))
    with running_emulator(ScaledClock(20), config) as running:
        seed_world(running.emulator)
        started = time.monotonic()
        for _ in range(3):
            assert running.request("GET", GALLERY_PATH).status == 200
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 3


def test_latency_takes_no_wall_time_on_a_virtual_clock() -> None:
    config = EmulatorConfig(faults=FaultConfig(latency_seconds=3600.0))
    with running_emulator(VirtualClock(), config) as running:
        seed_world(running.emulator)
        started = time.monotonic()
        assert running.request("GET", GALLERY_PATH).status == 200
    assert time.monotonic() - started < 2


def test_faults_reconfigure_at_run_time_over_http(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    body = {"error_rate": 1.0, "error_statuses": [503]}
    answer = emulator.request("PUT", "/_emulator/faults", body, token=None)
    assert answer.status == 200
    assert answer.body["error_rate"] == 1.0
    assert emulator.request("GET", "/_emulator/faults", token=None).body["error_statuses"] == [503]
    assert emulator.request("GET", GALLERY_PATH).status == 503
    assert emulator.request("PUT", "/_emulator/faults", {"error_rat": 1}, token=None).status == 400
    emulator.request("PUT", "/_emulator/faults", {}, token=None)
    assert emulator.request("GET", GALLERY_PATH).status == 200


def test_fault_file_round_trips(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    path = tmp_path / "faults.json"
    path.write_text(
        '{"seed": 5, "error_rate": 0.1, "failing_regions": {"West US 2": {"at_progress": 30}},'
        ' "throttle": {"enabled": true, "reads": {"capacity": 10, "refill_per_second": 1}}}'
    )
    config = FaultConfig.from_file(path)
    assert config.failing_regions["West US 2"].at_progress == 30
    assert config.throttle.enabled
    assert config.throttle.reads.capacity == 10
    assert config.throttle.writes.capacity == 200, "unspecified limits keep Azure's"
    with pytest.raises(ValueError, match="extra"):
        FaultConfig.model_validate({"eror_rate": 0.1})


def test_version_statuses_are_the_same_for_the_same_seed() -> None:
    def run() -> list[tuple[str, str | None, str]]:
        with running_emulator() as running:
            seed_world(running.emulator)
            client = running.client()
            create_definition(client)
            client.gallery_image_versions.begin_create_or_update(
                RG, GALLERY, DEFINITION, "1.0.0", version(), polling=False
            )
            running.advance(24 * 3600)
            return [(e.kind, e.region, e.time.isoformat()) for e in running.emulator.events]

    assert run() == run()


# Overloaded sources -----------------------------------------------------------------------------

OVERLOADED = EmulatorConfig(
    faults=FaultConfig(
        overloaded_sources=(IMAGE_ID.upper(),), overloaded_source_retry_after_seconds=90
    )
)
VERSION_PATH = f"{GALLERY_ID}/images/{DEFINITION}/versions/1.0.0?api-version=2026-03-03"


@pytest.mark.parametrize("emulator_config", [OVERLOADED])
def test_an_overloaded_source_refuses_the_version_put_like_a_429(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    refused = emulator.request("PUT", VERSION_PATH, version().as_dict())
    assert refused.status == 429
    assert refused.body["error"]["code"] == "TooManyRequests"
    assert refused.body["error"]["message"] == (
        f"Too many requests on source '{IMAGE_ID}'. Please reduce the number of requests on the "
        "source or wait some time before retrying."
    )
    assert (refused.header("Retry-After"), refused.header("retry-after-ms")) == ("90", "90000")
    record = emulator.emulator.request_log[-1]
    assert (record.fault, record.error_code) == ("source-throttled", "TooManyRequests")
    # The SDK retries it as a 429 (the harness sleeps 90 virtual seconds: no wall time).
    with pytest.raises(HttpResponseError) as caught:
        start_version(emulator.client())
    assert caught.value.status_code == 429
    throttled = [r for r in emulator.emulator.request_log if r.fault == "source-throttled"]
    assert len(throttled) == 1 + 4, "one raw request, then the SDK's first try and 3 retries"
    # The app's client does not wait a cool-down that long: the 429 reaches it at once.
    with pytest.raises(HttpResponseError) as caught:
        start_version(arm)
    assert error_code(caught.value) == "TooManyRequests"
    emulator.emulator.configure_faults(FaultConfig())
    start_version(arm)
    assert get_version(arm).provisioning_state == "Creating"


def test_a_rate_of_overloaded_sources_is_seeded(emulator: RunningEmulator) -> None:
    def refusals(seed: int) -> list[int]:
        emulator.emulator.reset()
        emulator.emulator.configure_faults(FaultConfig(seed=seed, overloaded_source_rate=0.5))
        seed_world(emulator.emulator)
        emulator.request(
            "PUT",
            f"{GALLERY_ID}/images/{DEFINITION}?api-version=2026-03-03",
            definition().as_dict(),
        )
        answers = []
        for index in range(12):
            path = VERSION_PATH.replace("1.0.0", f"1.0.{index}")
            answer = emulator.request("PUT", path, version().as_dict())
            answers.append(answer.status)
            emulator.advance(24 * 3600)
        return answers

    first, again = refusals(3), refusals(3)
    assert first == again
    assert set(first) == {201, 429}


def test_retrying_failed_regions_reads_the_source_and_meets_its_overload(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    emulator.emulator.configure_faults(
        FaultConfig(failing_regions={"eastus": FailingRegion(at_progress=10)})
    )
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm, body=version(regions=[("eastus", 1)]))
    emulator.advance(24 * 3600)
    assert get_version(arm).provisioning_state == "Failed"
    emulator.emulator.configure_faults(FaultConfig(overloaded_sources=(IMAGE_ID,)))
    with pytest.raises(HttpResponseError) as caught:
        start_version(arm, body=version(regions=[("eastus", 1)]))
    assert caught.value.status_code == 429
    assert error_code(caught.value) == "TooManyRequests"
    emulator.emulator.configure_faults(FaultConfig())
    start_version(arm, body=version(regions=[("eastus", 1)]))
    emulator.advance(24 * 3600)
    assert get_version(arm).provisioning_state == "Succeeded"


# Actions not granted ----------------------------------------------------------------------------

SCALE_SET_READ = "Microsoft.Compute/virtualMachineScaleSets/read"


def test_a_denied_action_answers_azures_403_and_other_actions_pass(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    emulator.emulator.seed_scale_set(f"{PREFIX}/virtualMachineScaleSets/web", image_id=IMAGE_ID)
    denied = DeniedAction(action="microsoft.compute/virtualMachineScaleSets/*", scope="/")
    emulator.emulator.configure_faults(FaultConfig(denied_actions=(denied,)))
    with pytest.raises(HttpResponseError) as caught:
        list(arm.virtual_machine_scale_sets.list_all())
    assert caught.value.status_code == 403
    assert error_code(caught.value) == "AuthorizationFailed"
    assert (
        f"does not have authorization to perform action '{SCALE_SET_READ}' over scope "
        f"'/subscriptions/{SUBSCRIPTION}' or the scope is invalid" in str(caught.value)
    )
    record = emulator.emulator.request_log[-1]
    assert (record.status, record.fault, record.action) == (403, "denied", SCALE_SET_READ)
    # Other actions are granted.
    assert arm.galleries.get(RG, GALLERY).name == GALLERY


def test_a_denial_covers_its_scope_and_what_is_under_it(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    emulator.emulator.seed_scale_set(f"{PREFIX}/virtualMachineScaleSets/web", image_id=IMAGE_ID)
    # Denied in the resource group: its own scale sets, not the subscription's listing.
    group = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG.upper()}"
    denied = DeniedAction(action=SCALE_SET_READ, scope=group)
    emulator.emulator.configure_faults(FaultConfig(denied_actions=(denied,)))
    with pytest.raises(HttpResponseError) as caught:
        arm.virtual_machine_scale_sets.get(RG, "web")
    assert caught.value.status_code == 403
    with pytest.raises(HttpResponseError):
        list(arm.virtual_machine_scale_sets.list(RG))
    assert [s.name for s in arm.virtual_machine_scale_sets.list_all()] == ["web"]
    emulator.emulator.configure_faults(FaultConfig())
    assert arm.virtual_machine_scale_sets.get(RG, "web").name == "web"
