"""The JSON bodies clients PUT, typed just enough to read them.

These models check structure (is ``regionalReplicaCount`` a number?) and nothing else: values are
judged in :mod:`emulator.rules`, with Azure's codes and texts. A structural error becomes ARM's
``InvalidRequestContent`` naming the JSON path, as ARM's deserializer does. Unknown members are
kept (``extra="allow"``) so that what a client sent comes back in responses.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emulator.errors import ArmErrorResponse, invalid_request_content


class ArmBody(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Identifier(ArmBody):
    publisher: str | None = None
    offer: str | None = None
    sku: str | None = None


class Feature(ArmBody):
    name: str | None = None
    value: str | None = None


class DefinitionProperties(ArmBody):
    os_type: str | None = Field(default=None, alias="osType")
    os_state: str | None = Field(default=None, alias="osState")
    hyper_v_generation: str | None = Field(default=None, alias="hyperVGeneration")
    architecture: str | None = None
    identifier: Identifier | None = None
    features: list[Feature] | None = None
    end_of_life_date: datetime | None = Field(default=None, alias="endOfLifeDate")
    allow_update_image: bool | None = Field(default=None, alias="allowUpdateImage")


class TrackedResource(ArmBody):
    location: str | None = None
    tags: dict[str, str] | None = None


class GalleryBody(TrackedResource):
    properties: dict[str, Any] | None = None


class DefinitionBody(TrackedResource):
    properties: DefinitionProperties | None = None


class OsDiskImageEncryption(ArmBody):
    disk_encryption_set_id: str | None = Field(default=None, alias="diskEncryptionSetId")


class DataDiskImageEncryption(ArmBody):
    lun: int | None = None
    disk_encryption_set_id: str | None = Field(default=None, alias="diskEncryptionSetId")


class EncryptionImages(ArmBody):
    os_disk_image: OsDiskImageEncryption | None = Field(default=None, alias="osDiskImage")
    data_disk_images: list[DataDiskImageEncryption] | None = Field(
        default=None, alias="dataDiskImages"
    )


class TargetRegion(ArmBody):
    name: str | None = None
    regional_replica_count: int | None = Field(default=None, alias="regionalReplicaCount")
    storage_account_type: str | None = Field(default=None, alias="storageAccountType")
    exclude_from_latest: bool | None = Field(default=None, alias="excludeFromLatest")
    encryption: EncryptionImages | None = None


class PublishingProfile(ArmBody):
    target_regions: list[TargetRegion] | None = Field(default=None, alias="targetRegions")
    replica_count: int | None = Field(default=None, alias="replicaCount")
    storage_account_type: str | None = Field(default=None, alias="storageAccountType")
    exclude_from_latest: bool | None = Field(default=None, alias="excludeFromLatest")
    end_of_life_date: datetime | None = Field(default=None, alias="endOfLifeDate")
    replication_mode: str | None = Field(default=None, alias="replicationMode")


class SourceRef(ArmBody):
    id: str | None = None


class VersionStorageProfile(ArmBody):
    source: SourceRef | None = None


class SafetyProfile(ArmBody):
    allow_deletion_of_replicated_locations: bool | None = Field(
        default=None, alias="allowDeletionOfReplicatedLocations"
    )
    block_deletion_before_end_of_life: bool | None = Field(
        default=None, alias="blockDeletionBeforeEndOfLife"
    )


class VersionProperties(ArmBody):
    publishing_profile: PublishingProfile | None = Field(default=None, alias="publishingProfile")
    storage_profile: VersionStorageProfile | None = Field(default=None, alias="storageProfile")
    safety_profile: SafetyProfile | None = Field(default=None, alias="safetyProfile")


class VersionBody(TrackedResource):
    properties: VersionProperties | None = None


class OsDisk(ArmBody):
    os_type: str | None = Field(default=None, alias="osType")
    os_state: str | None = Field(default=None, alias="osState")
    disk_size_gb: int | None = Field(default=None, alias="diskSizeGB")


class DataDisk(ArmBody):
    lun: int | None = None
    disk_size_gb: int | None = Field(default=None, alias="diskSizeGB")


class ImageStorageProfile(ArmBody):
    os_disk: OsDisk | None = Field(default=None, alias="osDisk")
    data_disks: list[DataDisk] | None = Field(default=None, alias="dataDisks")


class ImageProperties(ArmBody):
    storage_profile: ImageStorageProfile | None = Field(default=None, alias="storageProfile")
    hyper_v_generation: str | None = Field(default=None, alias="hyperVGeneration")
    #: Read-only in Azure; the emulator honours it on PUT so that a test can seed an image that is
    #: not (yet) ``Succeeded``.
    provisioning_state: str | None = Field(default=None, alias="provisioningState")


class ImageBody(TrackedResource):
    properties: ImageProperties | None = None


class ImagePatchBody(ArmBody):
    tags: dict[str, str] | None = None


Body = TypeVar("Body", bound=BaseModel)


def parse_body(model: type[Body], raw: bytes) -> tuple[Body, dict[str, Any]]:
    """Parse ``raw`` as ``model``; return the model and the JSON object it came from."""
    if not raw.strip():
        raise invalid_request_content("The request body is empty.")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid_request_content(f"Invalid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise invalid_request_content("Expected a JSON object at path ''.")
    try:
        body = model.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = _json_path(first["loc"])
        raise invalid_request_content(
            f"Could not convert value {json.dumps(first.get('input'))}: {first['msg']}. "
            f"Path '{path}'"
        ) from exc
    check_tags(getattr(body, "tags", None))
    return body, document


# ARM's tag limits (Azure Resource Manager docs) and the texts its errors carry.
MAX_TAGS, MAX_TAG_NAME, MAX_TAG_VALUE = 50, 512, 256


def check_tags(tags: dict[str, str] | None) -> None:
    if not tags:
        return
    if len(tags) > MAX_TAGS:
        raise ArmErrorResponse(
            400,
            "InvalidTagCount",
            f"The number of tags ({len(tags)}) exceeds the maximum of {MAX_TAGS} per resource.",
        )
    for name, value in tags.items():
        if len(name) > MAX_TAG_NAME:
            raise ArmErrorResponse(
                400,
                "InvalidTagNameLength",
                f"Tag name too large. Following tag name '{name}' exceeded the maximum length. "
                f"Maximum allowed length for tag name - '{MAX_TAG_NAME}' characters.",
            )
        if len(value) > MAX_TAG_VALUE:
            raise ArmErrorResponse(
                400,
                "InvalidTagValueLength",
                f"Tag value too large. Following tag value '{value}' exceeded the maximum length. "
                f"Maximum allowed length for tag value - '{MAX_TAG_VALUE}' characters.",
            )


def _json_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path
