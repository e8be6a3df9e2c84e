"""Auditing the state-change log: was any managed image deleted before a copy of it was safe?

A gallery image version made from a managed image is a safe copy once it is Succeeded, which
the emulator records only when every target region has Completed. Deleting the source before
that loses data. Tests, the demo and benchmarks ask this of every run.
"""

from __future__ import annotations

from emulator.records import StateEvent
from emulator.server import Emulator

# Version events that change whether it proves its source safe.
_VERSION_STATES = {"replicating", "region_failed", "succeeded", "failed", "deleting", "deleted"}


def _is_managed_image(resource_id: str) -> bool:
    lowered = resource_id.lower()
    return "/providers/microsoft.compute/images/" in lowered and "/galleries/" not in lowered


def unsafe_deletions(events: list[StateEvent]) -> list[str]:
    """Managed images whose delete was asked for when no version made from them was Succeeded
    with every region Completed (the emulator marks a version Succeeded only then).

    "Made from them" means from this very image: a version made before the image was re-created
    under the same id holds the old image's disks, not this one's.
    """
    generation: dict[str, int] = {}  # image id -> how many times it has been created
    sources: dict[str, tuple[str, int]] = {}  # version id -> (source id, its generation)
    state: dict[str, str] = {}  # version id -> its latest state event
    unsafe = []
    for event in events:
        key = event.resource_id.lower()
        if event.kind == "created" and _is_managed_image(key):
            generation[key] = generation.get(key, 0) + 1
        if event.kind == "created" and event.detail and "source" in event.detail:
            source = str(event.detail["source"]).lower()
            sources[key] = (source, generation.get(source, 0))
        if key in sources and event.kind in _VERSION_STATES:
            state[key] = event.kind
        if event.kind == "source_deleted_while_replicating":
            unsafe.append(event.resource_id)
        if event.kind == "deleting" and _is_managed_image(key):
            current = (key, generation.get(key, 0))
            proven = any(
                made_from == current and state.get(version) == "succeeded"
                for version, made_from in sources.items()
            )
            if not proven:
                unsafe.append(event.resource_id)
    return unsafe


def assert_sources_safely_deleted(emulator: Emulator) -> None:
    unsafe = unsafe_deletions(emulator.events)
    assert not unsafe, f"deleted without a Succeeded, fully replicated version: {unsafe}"
