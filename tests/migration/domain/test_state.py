from __future__ import annotations

from migration.domain.facts import RegionStatus, RegionTarget
from migration.domain.state import ImagePhase, ImageState, MigrationState
from tests.migration.factories import GALLERY, image_id


def state_with(images: int, regions: int, notes: int = 0) -> MigrationState:
    return MigrationState(
        migration_id="m",
        gallery=GALLERY,
        delete_source="afterApproval",
        images=[
            ImageState(
                source=image_id(f"image-{i:03}"),
                phase=ImagePhase.REPLICATING,
                definition=f"image-{i:03}",
                version="1.0.0",
                target_regions=[
                    RegionTarget(name=f"region{r}", replicas=1) for r in range(regions)
                ],
                regions=[
                    RegionStatus(name=f"region{r}", state="Replicating", progress=50)
                    for r in range(regions)
                ],
                notes=["a note that is rather long, to take up space"] * notes,
            )
            for i in range(images)
        ],
    )


def test_result_counts_images_by_phase() -> None:
    state = state_with(3, 1)
    state.images[0].phase = ImagePhase.DELETED
    assert state.to_result()["summary"] == {"deleted": 1, "replicating": 2}
