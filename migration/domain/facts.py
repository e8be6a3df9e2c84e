"""Plain data that crosses activity boundaries (as camelCase JSON) and fills plans and results."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from migration.domain import rules

# Tags on every version this app creates: from what (id and content), and for which migration.
TAG_SOURCE = "galleryMigrator.source"
TAG_FINGERPRINT = "galleryMigrator.sourceFingerprint"
TAG_MIGRATION = "galleryMigrator.migrationId"


class Data(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_json(cls, value: Any) -> Self:
        return cls.model_validate(value)


class ImageFacts(Data):
    """What a managed image's GET says, reduced to what the migration decides on."""

    id: str
    exists: bool = True
    name: str = ""
    location: str = ""
    provisioning_state: str = ""
    os_type: str = ""
    os_state: str = ""
    hyper_v_generation: str = "V1"
    os_disk_gb: int = 0
    # Sizes and LUNs of the data disks, in LUN order.
    data_disks_gb: list[int] = Field(default_factory=list)
    data_disk_luns: list[int] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    fingerprint: str = ""

    @model_validator(mode="after")
    def _luns(self) -> ImageFacts:
        # Facts built without LUNs (older inputs) number the data disks in order.
        if len(self.data_disk_luns) != len(self.data_disks_gb):
            self.data_disk_luns = list(range(len(self.data_disks_gb)))
        return self


class EncryptionSetFacts(Data):
    """A disk encryption set, as far as a version's region may use it."""

    id: str
    exists: bool = True
    location: str = ""


class Identifier(Data):
    publisher: str
    offer: str
    sku: str

    def key(self) -> tuple[str, str, str]:
        return (self.publisher.lower(), self.offer.lower(), self.sku.lower())

    def __str__(self) -> str:
        return f"{self.publisher}/{self.offer}/{self.sku}"


class DefinitionFacts(Data):
    name: str
    os_type: str
    os_state: str
    hyper_v_generation: str = "V1"
    identifier: Identifier
    provisioning_state: str = ""
    security_type: str | None = None

    @property
    def effective_security_type(self) -> str:
        """A definition without a SecurityType feature is Standard."""
        return rules.security_type(self.security_type or "") or self.security_type or "Standard"


class GalleryFacts(Data):
    id: str
    exists: bool = True
    location: str = ""
    definitions: list[DefinitionFacts] = Field(default_factory=list)
    # Why the gallery could not be read, when it could not.
    error: str | None = None

    def definition(self, name: str) -> DefinitionFacts | None:
        return next((d for d in self.definitions if d.name.lower() == name.lower()), None)


class RegionEncryption(Data):
    """A target region's disk encryption sets: the OS disk's, and each data disk's by LUN."""

    os_disk: str | None = None
    data_disks: dict[int, str] = Field(default_factory=dict)


class RegionTarget(Data):
    name: str
    replicas: int
    storage_account_type: str | None = None
    encryption: RegionEncryption | None = None


class RegionStatus(Data):
    name: str
    state: str
    progress: int = 0
    details: str = ""


class VersionFacts(Data):
    """An existing image version: enough to tell whose it is and how far replication got."""

    definition: str
    name: str
    exists: bool = True
    source: str = ""
    provisioning_state: str = ""
    target_regions: list[RegionTarget] = Field(default_factory=list)
    regions: list[RegionStatus] = Field(default_factory=list)
    tags: dict[str, str] = Field(default_factory=dict)
    end_of_life_date: datetime | None = None
    block_deletion_before_end_of_life: bool = False

    def tags_get(self, name: str) -> str:
        """A tag's value (ARM tag names compare case-insensitively), or ``""``."""
        return next((v for k, v in self.tags.items() if k.lower() == name.lower()), "")

    @property
    def fingerprint(self) -> str:
        """The fingerprint of the image this version was made from, as this app tagged it."""
        return self.tags_get(TAG_FINGERPRINT)


class Wait(Data):
    """A read that failed for a reason that passes (throttled, a server error): try it later."""

    seconds: float
    throttled: bool = False
    message: str = ""


class Inspection(Data):
    """What inspecting a request found: everything planning needs, read once.

    ``images`` maps each source id (lower case) to its facts; ``versions`` maps each existing
    target definition's name (lower case) to its versions; ``unreadable`` maps a source id (lower
    case) to why its facts, or its definition's versions, could not be read, for good. ``waits``
    holds the reads that failed for a reason that passes (keys :data:`GALLERY_READ`,
    ``image:<source>``, ``versions:<definition>``, ``encryptionSet:<id>``,
    ``scaleSets:<subscription>``): an inspection is complete once there are none.
    """

    gallery: GalleryFacts | None = None
    images: dict[str, ImageFacts] = Field(default_factory=dict)
    versions: dict[str, list[VersionFacts]] = Field(default_factory=dict)
    # The disk encryption sets the request names (by id, lower case), and the scale sets that
    # reference each image (by image id, lower case), per subscription listed.
    encryption_sets: dict[str, EncryptionSetFacts] = Field(default_factory=dict)
    scale_sets: dict[str, list[str]] = Field(default_factory=dict)
    scale_sets_listed: list[str] = Field(default_factory=list)
    # The subscriptions (lower case) whose scale sets could not be listed, and why.
    scale_sets_unlisted: dict[str, str] = Field(default_factory=dict)
    unreadable: dict[str, str] = Field(default_factory=dict)
    waits: dict[str, Wait] = Field(default_factory=dict)

    def image(self, source: str) -> ImageFacts | None:
        return self.images.get(source.lower())

    @property
    def complete(self) -> bool:
        return self.gallery is not None and not self.waits

    @property
    def throttled(self) -> bool:
        return any(wait.throttled for wait in self.waits.values())

    @property
    def longest_wait(self) -> float:
        return max((wait.seconds for wait in self.waits.values()), default=0.0)

    def describe_waits(self) -> str:
        return "; ".join(wait.message for wait in self.waits.values())


GALLERY_READ = "gallery"
