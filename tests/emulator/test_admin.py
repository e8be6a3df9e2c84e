"""Records and admin routes under /_emulator/."""

from __future__ import annotations

from azure.mgmt.compute import ComputeManagementClient

from emulator.testing import START, RunningEmulator, running_emulator
from simclock import RealClock
from tests.emulator.helpers import (
    GALLERY,
    GALLERY_ID,
    IMAGE_ID,
    RG,
    create_definition,
    get_version,
    seed_world,
    start_version,
)


def admin(running: RunningEmulator, method: str, route: str, body: object = None) -> object:
    response = running.request(method, f"/_emulator/{route}", body, token=None)
    assert response.status == 200, response.body
    return response.body


def test_health_and_clock(emulator: RunningEmulator) -> None:
    assert admin(emulator, "GET", "health") == {"status": "ok"}
    clock = admin(emulator, "GET", "clock")
    assert clock == {
        "now": START.isoformat(),
        "clock": repr(emulator.clock),
        "virtual": True,
        "next_due": None,
    }


def test_advance_moves_replication(emulator: RunningEmulator, arm: ComputeManagementClient) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm)
    answer = admin(emulator, "POST", "advance", {"seconds": 86400})
    assert isinstance(answer, dict)
    assert answer["now"] == "2026-01-06T09:00:00+00:00"
    assert get_version(arm).provisioning_state == "Succeeded"
    for bad in ({"seconds": -1}, {"seconds": "soon"}, [1]):
        assert emulator.request("POST", "/_emulator/advance", bad, token=None).status == 400


def test_advance_refuses_a_real_clock() -> None:
    with running_emulator(RealClock()) as running:
        response = running.request("POST", "/_emulator/advance", {"seconds": 1}, token=None)
    assert response.status == 409


def test_records_over_http(emulator: RunningEmulator, arm: ComputeManagementClient) -> None:
    seed_world(emulator.emulator)
    arm.galleries.get(RG, GALLERY)
    arm.galleries.get(RG, GALLERY)
    requests = admin(emulator, "GET", "requests")
    assert isinstance(requests, list)
    assert [(r["method"], r["operation"], r["status"]) for r in requests] == [
        ("GET", "galleries.get", 200)
    ] * 2
    assert requests[0]["time"] == START.isoformat()
    assert requests[0]["path"] == GALLERY_ID
    assert admin(emulator, "GET", "counters") == {"galleries.get": 2}
    events = admin(emulator, "GET", "events")
    assert isinstance(events, list)
    assert [(e["kind"], e["resource_id"]) for e in events] == [
        ("created", GALLERY_ID),
        ("created", IMAGE_ID),
    ]
    assert admin(emulator, "GET", "deliveries") == []


def test_seed_and_reset_over_http(emulator: RunningEmulator, arm: ComputeManagementClient) -> None:
    seed = {
        "galleries": [{"id": GALLERY_ID, "location": "westeurope", "tags": {"team": "images"}}],
        "images": [
            {"id": IMAGE_ID, "location": "westeurope", "os_type": "Windows", "data_disks_gb": [128]}
        ],
    }
    assert admin(emulator, "POST", "seed", seed) == {
        "galleries": 1,
        "images": 1,
        "disk_encryption_sets": 0,
        "scale_sets": 0,
    }
    gallery = arm.galleries.get(RG, GALLERY)
    assert (gallery.location, gallery.tags) == ("westeurope", {"team": "images"})
    image = arm.images.get(RG, "myImage")
    assert image.storage_profile.os_disk.os_type == "Windows"
    assert image.storage_profile.data_disks[0].disk_size_gb == 128
    bad = emulator.request("POST", "/_emulator/seed", {"images": [{"id": "nope"}]}, token=None)
    assert bad.status == 400
    assert admin(emulator, "POST", "reset") == {"status": "reset"}
    assert emulator.emulator.request_log == []
    assert emulator.emulator.resource(GALLERY_ID) is None
    assert list(arm.galleries.list()) == []


def test_a_seed_with_an_invalid_item_answers_400_and_creates_nothing(
    emulator: RunningEmulator,
) -> None:
    other = GALLERY_ID.replace("myGallery", "other")
    seed = {
        "galleries": [{"id": other}, {"id": GALLERY_ID.replace("myGallery", "bad-name")}],
        "images": [{"id": IMAGE_ID, "location": "moon"}],
    }
    answer = emulator.request("POST", "/_emulator/seed", seed, token=None)
    assert answer.status == 400
    assert "bad-name" in str(answer.body)
    assert emulator.emulator.resource(other) is None
    assert emulator.emulator.resource(IMAGE_ID) is None
