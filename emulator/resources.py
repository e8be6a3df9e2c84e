"""The resources the emulator keeps and the JSON it answers with.

Each record holds what a client sent (to echo it back), the few values the rules need in typed form,
and its provisioning state. Rendering adds ARM's envelope (``id``, ``name``, ``type``, ``location``,
``tags``) and the read-only properties Azure fills in.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulator import ids
from emulator.progress import LINEAR, Curve
from emulator.regions import Region


def timestamp(value: datetime) -> str:
    """ARM's timestamp form: ISO 8601 with a UTC offset."""
    return value.isoformat()


@dataclass
class Operation:
    """An async-operation status resource (``capsOperations`` or ``operations``)."""

    id: str
    #: ``capsOperations`` for gallery resources, ``operations`` for managed images.
    family: str
    subscription: str
    location: str
    kind: str
    resource_id: str
    start_time: datetime
    status: str = "InProgress"
    end_time: datetime | None = None
    error: dict[str, str] | None = None

    def finish(self, when: datetime, status: str, error: dict[str, str] | None = None) -> None:
        if self.status == "InProgress":
            self.status = status
            self.end_time = when
            self.error = error

    def render(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.id,
            "status": self.status,
            "startTime": timestamp(self.start_time),
        }
        if self.end_time is not None:
            body["endTime"] = timestamp(self.end_time)
        if self.error is not None:
            body["error"] = dict(self.error)
        return body

    def path(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/providers/{ids.PROVIDER}/locations/"
            f"{self.location}/{self.family}/{self.id}"
        )


@dataclass
class Tracked:
    """What every tracked resource has: its id parts, location, tags and provisioning state."""

    resource_id: str
    name: str
    location: str
    tags: dict[str, str]
    created_at: datetime
    state: str
    #: The PUT or DELETE operation currently in flight (or the last one).
    operation: Operation | None = None
    #: Bumped by every PUT and DELETE so that timeline actions of superseded work do nothing.
    generation: int = 0

    @property
    def key(self) -> str:
        return ids.key(self.resource_id)

    def envelope(self, resource_type: str, properties: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.resource_id,
            "name": self.name,
            "type": resource_type,
            "location": self.location,
            "tags": dict(self.tags),
            "properties": properties,
        }


@dataclass
class Gallery(Tracked):
    subscription: str = ""
    resource_group: str = ""
    properties: dict[str, Any] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        properties = copy.deepcopy(self.properties)
        properties["identifier"] = {"uniqueName": f"{self.subscription}-{self.name.upper()}"}
        properties["provisioningState"] = self.state
        return self.envelope(f"{ids.PROVIDER}/galleries", properties)


@dataclass
class Definition(Tracked):
    gallery_key: str = ""
    #: What the client sent under ``properties``, with Azure's defaults filled in.
    properties: dict[str, Any] = field(default_factory=dict)
    os_type: str = ""
    os_state: str = ""
    hyper_v_generation: str = "V1"
    identifier: tuple[str, str, str] = ("", "", "")
    features: dict[str, str] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        properties = copy.deepcopy(self.properties)
        properties["provisioningState"] = self.state
        return self.envelope(f"{ids.PROVIDER}/galleries/images", properties)


@dataclass
class ManagedImage(Tracked):
    subscription: str = ""
    resource_group: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    os_type: str = "Linux"
    os_state: str = "Generalized"
    #: ``None`` on old images that predate the property; Azure treats them as V1.
    hyper_v_generation: str | None = None
    os_disk_gb: int = 30
    data_disks: tuple[tuple[int, int], ...] = ()
    #: The request that last wrote the image, for its Event Grid notification.
    write_request: dict[str, str] | None = None

    @property
    def size_gb(self) -> int:
        return self.os_disk_gb + sum(size for _, size in self.data_disks)

    def render(self) -> dict[str, Any]:
        properties = copy.deepcopy(self.properties)
        properties["provisioningState"] = self.state
        return self.envelope(f"{ids.PROVIDER}/images", properties)


@dataclass
class RegionReplication:
    """One target region of a version and where its replication stands."""

    region: Region
    replicas: int
    storage_account_type: str
    exclude_from_latest: bool | None
    start: datetime
    duration: float
    #: How progress moves over ``duration`` (``emulator/progress.py``).
    curve: Curve = LINEAR
    #: The profile's name, ``+spread`` when the version's spread stretched ``duration``.
    profile: str = "linear"
    #: Seconds after ``start`` at which this region fails, if it will, showing ``fail_progress``.
    fail_after: float | None = None
    fail_progress: int = 0
    fail_code: str = ""
    fail_message: str = ""
    state: str = "Replicating"
    finished_at: datetime | None = None
    #: False when the region copies from the version's own replica, not from the managed image.
    from_source: bool = True
    #: ``targetRegions[].encryption`` as the version's PUT gave it (canonical JSON), if any.
    encryption: dict[str, Any] | None = None

    @property
    def due(self) -> datetime:
        """When this region completes or fails."""
        offset = self.duration if self.fail_after is None else self.fail_after
        return self.start + timedelta(seconds=offset)

    def progress(self, now: datetime) -> int:
        if self.state == "Completed":
            return 100
        if self.duration <= 0:
            return 0
        if self.state == "Failed":
            return self.fail_progress
        elapsed = (min(now, self.due) - self.start).total_seconds()
        percent = self.curve.percent(elapsed, self.duration)
        # Timestamps carry microseconds: without the epsilon 40 % can show as 39. 100 % only
        # once Completed, at the end, whatever the curve says.
        return max(0, min(99, math.floor(percent + 1e-6)))

    def render_target(self) -> dict[str, Any]:
        target: dict[str, Any] = {
            "name": self.region.display_name,
            "regionalReplicaCount": self.replicas,
            "storageAccountType": self.storage_account_type,
        }
        if self.exclude_from_latest is not None:
            target["excludeFromLatest"] = self.exclude_from_latest
        if self.encryption is not None:
            target["encryption"] = copy.deepcopy(self.encryption)
        return target

    def render_status(self, now: datetime) -> dict[str, Any]:
        details = ""
        if self.state == "Failed":
            details = f"Replication failed in this region due to '{self.fail_message}'"
        return {
            "region": self.region.display_name,
            "state": self.state,
            "details": details,
            "progress": self.progress(now),
        }


@dataclass
class Version(Tracked):
    definition_key: str = ""
    source_id: str = ""
    source_key: str = ""
    os_disk_gb: int = 0
    data_disks: tuple[tuple[int, int], ...] = ()
    regions: list[RegionReplication] = field(default_factory=list)
    replica_count: int = 1
    storage_account_type: str = "Standard_LRS"
    exclude_from_latest: bool = False
    end_of_life_date: datetime | None = None
    replication_mode: str = "Full"
    allow_deletion_of_replicated_locations: bool = False
    block_deletion_before_end_of_life: bool = False
    published_date: datetime | None = None
    #: Other members of ``publishingProfile`` the client sent, echoed back.
    publishing_extras: dict[str, Any] = field(default_factory=dict)
    properties_extras: dict[str, Any] = field(default_factory=dict)
    #: A metadata update is not finished before this time even if no region replicates.
    ready_after: datetime | None = None
    #: The error a Failed version's PUT operation reports.
    failure: dict[str, str] | None = None
    #: The PUT that last wrote it, for the Event Grid notification when its operation ends.
    write_request: dict[str, str] | None = None

    @property
    def unfinished(self) -> bool:
        return self.state in ("Creating", "Updating")

    @property
    def copying_source(self) -> bool:
        """Whether a region is still reading the managed image (a tag change reads nothing)."""
        return any(region.state == "Replicating" and region.from_source for region in self.regions)

    def replication_status(self, now: datetime) -> dict[str, Any]:
        states = {region.state for region in self.regions}
        if "Failed" in states:
            aggregated = "Failed"
        elif states == {"Completed"}:
            aggregated = "Completed"
        elif states:
            aggregated = "InProgress"
        else:
            aggregated = "Unknown"
        return {
            "aggregatedState": aggregated,
            "summary": [region.render_status(now) for region in self.regions],
        }

    def render(self, now: datetime, expand_replication: bool) -> dict[str, Any]:
        publishing: dict[str, Any] = copy.deepcopy(self.publishing_extras)
        publishing.update(
            {
                "targetRegions": [region.render_target() for region in self.regions],
                "replicaCount": self.replica_count,
                "storageAccountType": self.storage_account_type,
                "excludeFromLatest": self.exclude_from_latest,
                "replicationMode": self.replication_mode,
            }
        )
        if self.published_date is not None:
            publishing["publishedDate"] = timestamp(self.published_date)
        if self.end_of_life_date is not None:
            publishing["endOfLifeDate"] = timestamp(self.end_of_life_date)
        source = {"id": self.source_id}
        storage = {
            "source": dict(source),
            "osDiskImage": {"sizeInGB": self.os_disk_gb, "hostCaching": "ReadWrite"},
            "dataDiskImages": [
                {"lun": lun, "sizeInGB": size, "hostCaching": "None"}
                for lun, size in self.data_disks
            ],
        }
        properties: dict[str, Any] = copy.deepcopy(self.properties_extras)
        properties.update(
            {
                "publishingProfile": publishing,
                "storageProfile": storage,
                "safetyProfile": {
                    "allowDeletionOfReplicatedLocations": (
                        self.allow_deletion_of_replicated_locations
                    ),
                    "blockDeletionBeforeEndOfLife": self.block_deletion_before_end_of_life,
                    "reportedForPolicyViolation": False,
                },
                "provisioningState": self.state,
            }
        )
        if expand_replication:
            properties["replicationStatus"] = self.replication_status(now)
        return self.envelope(f"{ids.PROVIDER}/galleries/images/versions", properties)


@dataclass
class DiskEncryptionSet(Tracked):
    """A disk encryption set (``Microsoft.Compute/diskEncryptionSets``): seeded, read-only."""

    subscription: str = ""
    resource_group: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    identity: dict[str, Any] = field(default_factory=dict)

    def render(self) -> dict[str, Any]:
        properties = copy.deepcopy(self.properties)
        properties["provisioningState"] = self.state
        body = self.envelope(f"{ids.PROVIDER}/diskEncryptionSets", properties)
        body["identity"] = copy.deepcopy(self.identity)
        return body


@dataclass
class ScaleSet(Tracked):
    """A virtual machine scale set (``Microsoft.Compute/virtualMachineScaleSets``): seeded,
    read-only, kept for what it deploys from (``imageReference.id``)."""

    subscription: str = ""
    resource_group: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    sku: dict[str, Any] = field(default_factory=dict)

    @property
    def image_reference_id(self) -> str | None:
        profile = self.properties.get("virtualMachineProfile") or {}
        reference = (profile.get("storageProfile") or {}).get("imageReference") or {}
        found = reference.get("id")
        return str(found) if found is not None else None

    def render(self) -> dict[str, Any]:
        properties = copy.deepcopy(self.properties)
        properties["provisioningState"] = self.state
        body = self.envelope(f"{ids.PROVIDER}/virtualMachineScaleSets", properties)
        body["sku"] = copy.deepcopy(self.sku)
        return body
