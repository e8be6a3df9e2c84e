"""The migration request as orchestrations and plans read it: plain data, already valid.

The request is validated once, at the door (:mod:`migration.domain.validation`), and handed to the
orchestration in canonical form (ids, region names, durations); reading it back from an
orchestration's input checks types only, so no rule runs again on a replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from migration.domain import rules
from migration.domain.durations import parse_duration


class DeleteSource(StrEnum):
    NEVER = "never"
    AFTER_APPROVAL = "afterApproval"
    AFTER_REPLICATION = "afterReplication"


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    def to_json(self) -> dict[str, Any]:
        """The camelCase JSON form, as requests and orchestration inputs carry it."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# -- the validated request, as orchestrations and plans read it --------------------------------


class DefinitionSpec(_Model):
    """An image definition to create or reuse; each part left out is derived."""

    name: str | None = None
    publisher: str | None = None
    offer: str | None = None
    sku: str | None = None
    security_type: str | None = None


class ImageSpec(_Model):
    source: str
    definition: DefinitionSpec = Field(default_factory=DefinitionSpec)
    version: str | None = None


class DataDiskEncryption(_Model):
    lun: int
    disk_encryption_set_id: str


class Encryption(_Model):
    """A region's disk encryption sets: for the OS disk, for every data disk, or per LUN."""

    os_disk_encryption_set_id: str | None = None
    data_disk_encryption_set_id: str | None = None
    data_disks: Sequence[DataDiskEncryption] = Field(default_factory=list)

    def set_ids(self) -> list[str]:
        found = [self.os_disk_encryption_set_id, self.data_disk_encryption_set_id]
        return [i for i in found if i] + [d.disk_encryption_set_id for d in self.data_disks]


class TargetRegion(_Model):
    name: str
    replica_count: int | None = None
    expected_concurrent_deployments: int | None = None
    storage_account_type: str | None = None
    encryption: Encryption | None = None

    def replicas(self, default: int) -> int:
        if self.replica_count is not None:
            return self.replica_count
        if self.expected_concurrent_deployments is not None:
            return rules.replicas_for_deployments(self.expected_concurrent_deployments)
        return default


class SelectionFilters(_Model):
    """Which managed images of the scopes to take; every filter given must match."""

    # Tags the image must carry: a value, or None for "any value".
    tags: dict[str, str | None] = Field(default_factory=dict)
    # A shell-style pattern (fnmatch, case-insensitive) on the image's name.
    name_pattern: str | None = None
    os_type: str | None = None
    hyper_v_generation: str | None = None
    # Regions (short names) the image must be in.
    locations: Sequence[str] = Field(default_factory=list)


class MigrationRequest(_Model):
    gallery: str
    images: Sequence[ImageSpec] = Field(default_factory=list)
    # Subscriptions or resource groups whose managed images to select (beside ``images``).
    scopes: Sequence[str] = Field(default_factory=list)
    filters: SelectionFilters = Field(default_factory=SelectionFilters)
    target_regions: Sequence[TargetRegion] = Field(default_factory=list)
    replica_count: int = 1
    storage_account_type: str | None = None
    end_of_life_date: datetime | None = None
    exclude_from_latest: bool = False
    delete_source: DeleteSource = DeleteSource.AFTER_APPROVAL
    approval_timeout: str | None = None
    # For new definitions; an existing definition is adopted whatever its type unless one is named.
    security_type: str | None = None
    # None: the app's DELETION_BLOCK setting decides.
    block_deletion_before_end_of_life: bool | None = None
    # Delete a source even while a scale set still references it (it then cannot scale out).
    delete_in_use_sources: bool = False

    def security_type_for(self, image: ImageSpec) -> str | None:
        return image.definition.security_type or self.security_type

    def encryption_set_ids(self) -> list[str]:
        return sorted(
            {i for r in self.target_regions if r.encryption for i in r.encryption.set_ids()},
            key=str.lower,
        )

    def approval_timeout_or(self, default: timedelta) -> timedelta:
        return parse_duration(self.approval_timeout) if self.approval_timeout else default
