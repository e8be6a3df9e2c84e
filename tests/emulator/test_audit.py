"""The invariant checker itself: it must catch an unsafe delete, or the e2e checks prove nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator.audit import unsafe_deletions
from emulator.records import StateEvent

T = datetime(2026, 1, 5, tzinfo=UTC)
IMAGE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/web"
GALLERY = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g"
VERSION = f"{GALLERY}/images/web/versions/1.0.0"


def event(kind: str, resource: str, **detail: str) -> StateEvent:
    return StateEvent(time=T, kind=kind, resource_id=resource, detail=detail or None)


def test_delete_after_success_is_safe() -> None:
    events = [
        event("created", VERSION, source=IMAGE),
        event("replicating", VERSION),
        event("succeeded", VERSION),
        event("deleting", IMAGE),
        event("deleted", IMAGE),
    ]
    assert unsafe_deletions(events) == []


def test_delete_before_success_is_caught() -> None:
    events = [
        event("created", VERSION, source=IMAGE),
        event("replicating", VERSION),
        event("deleting", IMAGE),
    ]
    assert unsafe_deletions(events) == [IMAGE]


def test_delete_after_failure_is_caught() -> None:
    events = [
        event("created", VERSION, source=IMAGE),
        event("failed", VERSION),
        event("deleting", IMAGE),
    ]
    assert unsafe_deletions(events) == [IMAGE]


def test_a_version_of_another_image_proves_nothing() -> None:
    other = IMAGE.replace("/web", "/other")
    events = [
        event("created", VERSION, source=other),
        event("succeeded", VERSION),
        event("deleting", IMAGE),
    ]
    assert unsafe_deletions(events) == [IMAGE]


def test_a_version_of_the_image_before_it_was_recreated_proves_nothing() -> None:
    events = [
        event("created", IMAGE),
        event("created", VERSION, source=IMAGE),
        event("succeeded", VERSION),
        event("deleted", IMAGE),
        event("created", IMAGE),  # the same id, other disks
        event("deleting", IMAGE),
    ]
    assert unsafe_deletions(events) == [IMAGE]
