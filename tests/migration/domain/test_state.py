from __future__ import annotations

from migration.domain.facts import RegionStatus, RegionTarget
from migration.domain.state import (
    CUSTOM_STATUS_LIMIT,
    ImagePhase,
    ImageState,
    MigrationState,
    status_size,
)
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


def test_small_status_is_sent_whole() -> None:
    status = state_with(2, 2, notes=1).to_custom_status()
    assert "truncated" not in status
    assert status["images"][0]["notes"] == ["a note that is rather long, to take up space"]
    assert len(status["images"][0]["regions"]) == 2


def test_size_is_counted_as_durable_counts_it() -> None:
    # 16 KB of UTF-16: 8,192 ASCII characters, not 16,384.
    assert status_size("x" * 8190) == 2 * len('"' + "x" * 8190 + '"')


def test_big_status_is_cut_to_fit_the_16kb_limit() -> None:
    for images, regions in [(10, 3), (50, 6), (50, 20)]:
        status = state_with(images, regions, notes=3).to_custom_status()
        assert status_size(status) <= CUSTOM_STATUS_LIMIT, (images, regions)
        assert len(status["images"]) == images
        assert all(image["phase"] == "replicating" for image in status["images"])
        assert status["truncated"] is True


def test_result_counts_images_by_phase() -> None:
    state = state_with(3, 1)
    state.images[0].phase = ImagePhase.DELETED
    assert state.to_result()["summary"] == {"deleted": 1, "replicating": 2}
