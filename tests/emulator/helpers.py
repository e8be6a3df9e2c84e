"""Names, ids and request bodies shared by the emulator's tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.compute import models as m

from emulator import Emulator
from emulator.testing import SUBSCRIPTION

RG = "rg"
GALLERY = "myGallery"
DEFINITION = "myImageDefinition"
IMAGE = "myImage"
PREFIX = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Compute"
GALLERY_ID = f"{PREFIX}/galleries/{GALLERY}"
IMAGE_ID = f"{PREFIX}/images/{IMAGE}"


def image_id(name: str = IMAGE) -> str:
    return f"{PREFIX}/images/{name}"


def seed_world(emu: Emulator, **image: Any) -> None:
    """A gallery and a managed image (30 GB Linux V2 in eastus unless told otherwise)."""
    emu.seed_gallery(GALLERY_ID)
    emu.seed_image(image.pop("resource_id", IMAGE_ID), **image)


def definition(
    *,
    location: str = "eastus",
    os_type: str = "Linux",
    os_state: str = "Generalized",
    hyper_v_generation: str | None = "V2",
    identifier: tuple[str, str, str] = ("myPublisher", "myOffer", "mySKU"),
    **properties: Any,
) -> m.GalleryImage:
    publisher, offer, sku = identifier
    return m.GalleryImage(
        location=location,
        properties=m.GalleryImageProperties(
            os_type=os_type,
            os_state=os_state,
            hyper_v_generation=hyper_v_generation,
            identifier=m.GalleryImageIdentifier(publisher=publisher, offer=offer, sku=sku),
            **properties,
        ),
    )


def create_definition(
    client: ComputeManagementClient, name: str = DEFINITION, **kwargs: Any
) -> m.GalleryImage:
    return client.gallery_images.begin_create_or_update(
        RG, GALLERY, name, definition(**kwargs)
    ).result()


def version(
    source_id: str = IMAGE_ID,
    regions: Sequence[tuple[str, int]] = (("eastus", 1), ("westus2", 2)),
    *,
    location: str = "eastus",
    storage_account_type: str | None = None,
    end_of_life_date: datetime | None = None,
    replica_count: int | None = None,
    tags: dict[str, str] | None = None,
    block_deletion: bool | None = None,
) -> m.GalleryImageVersion:
    """A version body; ``block_deletion=False`` states what a version that a test deletes needs
    (from api-version 2026-03-03 an unstated ``blockDeletionBeforeEndOfLife`` is true)."""
    safety = (
        None
        if block_deletion is None
        else m.GalleryImageVersionSafetyProfile(block_deletion_before_end_of_life=block_deletion)
    )
    return m.GalleryImageVersion(
        location=location,
        tags=tags,
        properties=m.GalleryImageVersionProperties(
            safety_profile=safety,
            publishing_profile=m.GalleryImageVersionPublishingProfile(
                target_regions=[
                    m.TargetRegion(name=name, regional_replica_count=count)
                    for name, count in regions
                ],
                storage_account_type=storage_account_type,
                end_of_life_date=end_of_life_date,
                replica_count=replica_count,
            ),
            storage_profile=m.GalleryImageVersionStorageProfile(
                source=m.GalleryArtifactVersionFullSource(id=source_id)
            ),
        ),
    )


def start_version(
    client: ComputeManagementClient,
    name: str = "1.0.0",
    body: m.GalleryImageVersion | None = None,
    definition_name: str = DEFINITION,
) -> None:
    """PUT a version and return at once, as an activity does (no waiting on replication)."""
    client.gallery_image_versions.begin_create_or_update(
        RG, GALLERY, definition_name, name, body if body is not None else version(), polling=False
    )


def get_version(
    client: ComputeManagementClient, name: str = "1.0.0", definition_name: str = DEFINITION
) -> m.GalleryImageVersion:
    return client.gallery_image_versions.get(
        RG, GALLERY, definition_name, name, expand="ReplicationStatus"
    )


def error_code(error: HttpResponseError) -> str | None:
    return error.error.code if error.error is not None else None
