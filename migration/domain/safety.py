"""The data-safety invariant, in one place.

A managed image may be deleted only when a gallery version made from that exact image is
Succeeded and Completed in every one of its target regions (and, where policy says so, approved).
The replication watcher and the delete step both ask :func:`replication_complete`.
"""

from __future__ import annotations

from migration.domain.facts import VersionFacts
from migration.domain.ids import same_id
from migration.domain.rules import normalize_region


def replication_complete(version: VersionFacts, source_id: str) -> str | None:
    """Why ``version`` does not (yet) prove the source's data is safe, or ``None`` when it does."""
    if not version.exists:
        return f"version {version.definition}/{version.name} does not exist"
    if not same_id(version.source, source_id):
        return f"version {version.name} comes from {version.source or 'nowhere'}, not {source_id}"
    if version.provisioning_state.lower() != "succeeded":
        state = version.provisioning_state or "in no state"
        return f"version {version.name} is {state}, not Succeeded"
    if not version.target_regions:
        return f"version {version.name} has no target regions"
    states = {normalize_region(r.name): r.state for r in version.regions}
    pending = [
        f"{t.name} ({states.get(normalize_region(t.name), 'not reported')})"
        for t in version.target_regions
        if states.get(normalize_region(t.name), "").lower() != "completed"
    ]
    if pending:
        return f"version {version.name} is not Completed in {', '.join(pending)}"
    return None


def replication_failed(version: VersionFacts) -> str | None:
    """Why replication of ``version`` can no longer complete, or ``None`` while it still can."""
    if not version.exists:
        return f"version {version.definition}/{version.name} no longer exists"
    failed = [r for r in version.regions if r.state.lower() == "failed"]
    if failed:
        detail = "; ".join(f"{r.name}: {r.details or 'failed'}" for r in failed)
        return f"replication failed in {detail}"
    if version.provisioning_state.lower() == "failed":
        return f"version {version.name} is Failed"
    return None
