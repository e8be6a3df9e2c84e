"""A migration's state: images in batches, counts and outcomes at the migration's level."""

from __future__ import annotations

from datetime import UTC, datetime

from migration.domain.facts import RegionStatus, RegionTarget
from migration.domain.state import (
    MAX_DECISIONS_SHOWN,
    MAX_TEXT,
    BatchState,
    Decision,
    DecisionRecord,
    FleetApproval,
    ImagePhase,
    ImageState,
    MigrationOutcome,
    outcome,
)
from tests.migration.factories import image_id

AT = datetime(2030, 1, 1, tzinfo=UTC)


def worst_image(index: int, regions: int) -> ImageState:
    """An image with every field filled as long as a status may hold it."""
    long_name = "x" * 80
    image = ImageState(
        index=index,
        source=image_id(long_name, rg="r" * 90),
        phase=ImagePhase.KEPT,
        definition=long_name,
        version="2147483647.2147483647.2147483647",
        version_id="/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/"
        + "g" * 90
        + "/providers/Microsoft.Compute/galleries/"
        + "y" * 80
        + f"/images/{long_name}/versions/2147483647.2147483647.2147483647",
        target_regions=[
            RegionTarget(
                name=f"southafricanorth{r}", replicas=100, storage_account_type="PremiumV2_LRS"
            )
            for r in range(regions)
        ],
        regions=[
            RegionStatus(name=f"southafricanorth{r}", state="Replicating", progress=99)
            for r in range(regions)
        ],
        security_type="TrustedLaunchAndConfidentialVmSupported",
        end_of_life_date=AT,
        deletion_blocked=True,
        version_started_at=AT,
        replicated_at=AT,
        finished_at=AT,
    )
    image.keep("k" * 5000, AT)
    image.error = image.kept_reason
    for _ in range(10):
        image.note("n" * 5000)
    return image


def test_texts_in_a_status_are_bounded() -> None:
    image = worst_image(0, 1)
    assert len(image.kept_reason or "") == MAX_TEXT
    assert len(image.notes) == 4
    assert all(len(n) <= MAX_TEXT for n in image.notes)


def test_counts_and_outcome_come_from_the_images() -> None:
    batch = BatchState(
        migration_id="m",
        batch=0,
        images=[
            ImageState(index=0, source="a", phase=ImagePhase.DELETED),
            ImageState(index=1, source="b", phase=ImagePhase.KEPT),
            ImageState(index=2, source="c", phase=ImagePhase.BLOCKED),
        ],
    )
    assert batch.summary() == {"deleted": 1, "kept": 1, "blocked": 1}
    assert outcome(batch.summary()) == MigrationOutcome.PARTLY_MIGRATED
    assert outcome({"kept": 2, "skipped": 1}) == MigrationOutcome.ALL_MIGRATED
    assert outcome({"failed": 2}) == MigrationOutcome.NONE_MIGRATED
    assert outcome({}) == MigrationOutcome.NONE_MIGRATED


def test_the_approval_lists_its_newest_decisions_only() -> None:
    approval = FleetApproval(required=True, undecided=1)
    for n in range(30):
        approval.record(DecisionRecord(decision=Decision.REJECTED, by=f"p{n}", at=AT, images=1))
    assert len(approval.decisions) == MAX_DECISIONS_SHOWN
    assert approval.decisions[-1].by == "p29"
    assert approval.awaiting
