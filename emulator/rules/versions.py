"""Image version rules: what a version's PUT may say, and what a re-PUT may change.

``version_spec`` reads and checks a PUT's body: target regions, replica counts, storage types,
replication mode, end of life (the version's name is in ``rules.names``, its source in
``rules.sources``). ``with_defaults`` fills in what the request's api-version defaults.
``check_version_change`` holds what a re-PUT may not change, ``check_deletable`` when a DELETE is
refused. The service (``service/versions.py``, ``service/replicating.py``) applies them.

From api-version 2026-03-03 a version whose PUT states no ``publishingProfile.endOfLifeDate`` gets
one six months after its published date, and ``safetyProfile.blockDeletionBeforeEndOfLife``
defaults to true (azure-cli's breaking-change notice for ``sig image-version create`` and
``update``, src/azure-cli/azure/cli/command_modules/vm/_breaking_change.py).
"""

from __future__ import annotations

import calendar
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator import bodies, ids
from emulator.errors import (
    ArmErrorResponse,
    invalid_parameter,
    operation_not_allowed,
    out_of_range,
    property_change_not_allowed,
)
from emulator.regions import Region, find_region
from emulator.resources import RegionReplication, Version
from emulator.rules.common import (
    canonical,
    check_end_of_life,
    check_location,
    location_not_available,
)
from emulator.rules.encryption import EncryptionSpec, encryption_spec
from simclock import utc

MAX_REPLICAS = 100
STORAGE_ACCOUNT_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
#: From this api-version on, Azure prefers Standard_ZRS when no storage type is given.
ZRS_DEFAULT_SINCE = "2025-03-03"
#: From this api-version on, a version ends its life six months after publishing unless told, and
#: its deletion is blocked before then.
END_OF_LIFE_DEFAULT_SINCE = "2026-03-03"
END_OF_LIFE_DEFAULT_MONTHS = 6


@dataclass(frozen=True)
class TargetSpec:
    region: Region
    replicas: int
    storage_account_type: str
    exclude_from_latest: bool | None
    encryption: EncryptionSpec | None = None


@dataclass(frozen=True)
class VersionSpec:
    location: Region
    tags: dict[str, str]
    source_id: str
    targets: tuple[TargetSpec, ...]
    replica_count: int
    storage_account_type: str
    exclude_from_latest: bool
    end_of_life_date: datetime | None
    replication_mode: str
    allow_deletion_of_replicated_locations: bool
    publishing_extras: dict[str, Any]
    properties_extras: dict[str, Any]
    #: ``None`` when the request does not state it (``with_defaults`` decides).
    block_deletion_before_end_of_life: bool | None = None


_VERSION = "galleryImageVersion.properties"
_PUBLISHING = f"{_VERSION}.publishingProfile"
_KNOWN_PUBLISHING = {
    "targetRegions",
    "replicaCount",
    "storageAccountType",
    "excludeFromLatest",
    "endOfLifeDate",
    "replicationMode",
    "publishedDate",
}
_KNOWN_VERSION_PROPERTIES = {
    "publishingProfile",
    "storageProfile",
    "safetyProfile",
    "provisioningState",
    "replicationStatus",
}


def _check_replicas(value: int, path: str, high: int = MAX_REPLICAS) -> int:
    if not 1 <= value <= high:
        raise out_of_range(value, path, 1, high)
    return value


def _storage(value: str, path: str) -> str:
    for option in STORAGE_ACCOUNT_TYPES:
        if option.lower() == value.lower():
            return option
    raise invalid_parameter(f"The value of parameter {path} is invalid.", target=path)


def version_spec(
    body: bodies.VersionBody, raw: dict[str, Any], now: datetime, api_version: str
) -> VersionSpec:
    location = check_location(body.location, "Microsoft.Compute/galleries/images/versions")
    props = body.properties or bodies.VersionProperties()
    source = props.storage_profile.source if props.storage_profile else None
    if source is None or not source.id:
        raise invalid_parameter(
            "The gallery artifact version source can only be specified either directly under "
            "storageProfile or within individual OS or data disks. One and only one source type "
            "(user image, snapshot, disk, virtual machine) can be provided.",
            target=f"{_VERSION}.storageProfile.source",
        )
    profile = props.publishing_profile or bodies.PublishingProfile()
    mode = canonical(
        profile.replication_mode or "Full",
        ("Full", "Shallow"),
        "ReplicationMode",
        f"{_PUBLISHING}.replicationMode",
    )
    replica_limit = 1 if mode == "Shallow" else MAX_REPLICAS
    replica_count = _check_replicas(
        profile.replica_count if profile.replica_count is not None else 1,
        f"{_PUBLISHING}.replicaCount",
        replica_limit,
    )
    if profile.storage_account_type is not None:
        default_storage = _storage(
            profile.storage_account_type, f"{_PUBLISHING}.storageAccountType"
        )
    else:
        default_storage = _preferred_storage(location, api_version)
    given = profile.target_regions or [bodies.TargetRegion(name=location.name)]
    regions: list[Region] = []
    for target in given:
        region = find_region(target.name or "")
        if region is None:
            raise location_not_available(target.name or "", "Microsoft.Compute/galleries")
        regions.append(region)
    if len({region.name for region in regions}) != len(regions):
        raise invalid_parameter(
            "Duplicate regions are not allowed in target publishing regions.",
            target=f"{_PUBLISHING}.targetRegions",
        )
    targets: list[TargetSpec] = []
    for target, region in zip(given, regions, strict=True):
        replicas = _check_replicas(
            target.regional_replica_count
            if target.regional_replica_count is not None
            else replica_count,
            f"{_PUBLISHING}.targetRegions.regionalReplicaCount",
            replica_limit,
        )
        if target.storage_account_type is not None:
            storage = _storage(
                target.storage_account_type, f"{_PUBLISHING}.targetRegions.storageAccountType"
            )
        elif profile.storage_account_type is not None:
            storage = default_storage
        else:
            storage = _preferred_storage(region, api_version)
        targets.append(
            TargetSpec(
                region,
                replicas,
                storage,
                target.exclude_from_latest,
                encryption_spec(target.encryption, region),
            )
        )
    if location.name not in {region.name for region in regions}:
        names = ", ".join(target.name or "" for target in given)
        raise invalid_parameter(
            f"Gallery image version publishing profile regions '{names}' must contain the "
            f"location of image version '{body.location}'.",
            target=f"{_PUBLISHING}.targetRegions",
        )
    check_end_of_life(profile.end_of_life_date, now, f"{_PUBLISHING}.endOfLifeDate")
    raw_properties = raw.get("properties") or {}
    raw_profile = raw_properties.get("publishingProfile") or {}
    safety = props.safety_profile
    return VersionSpec(
        location=location,
        tags=dict(body.tags or {}),
        source_id=source.id,
        targets=tuple(targets),
        replica_count=replica_count,
        storage_account_type=default_storage,
        exclude_from_latest=bool(profile.exclude_from_latest),
        end_of_life_date=utc(profile.end_of_life_date) if profile.end_of_life_date else None,
        replication_mode=mode,
        allow_deletion_of_replicated_locations=bool(
            safety and safety.allow_deletion_of_replicated_locations
        ),
        block_deletion_before_end_of_life=safety.block_deletion_before_end_of_life
        if safety
        else None,
        publishing_extras={k: v for k, v in raw_profile.items() if k not in _KNOWN_PUBLISHING},
        properties_extras={
            k: v for k, v in raw_properties.items() if k not in _KNOWN_VERSION_PROPERTIES
        },
    )


def with_defaults(spec: VersionSpec, api_version: str, published: datetime) -> VersionSpec:
    """``spec`` with the end of life and deletion block its api-version defaults to.

    ``published`` is the version's published date (the PUT's instant for a new version)."""
    block = spec.block_deletion_before_end_of_life
    if api_version < END_OF_LIFE_DEFAULT_SINCE:
        return dataclasses.replace(spec, block_deletion_before_end_of_life=bool(block))
    end_of_life = spec.end_of_life_date or add_months(published, END_OF_LIFE_DEFAULT_MONTHS)
    return dataclasses.replace(
        spec,
        end_of_life_date=end_of_life,
        block_deletion_before_end_of_life=True if block is None else block,
    )


def add_months(value: datetime, months: int) -> datetime:
    """The same day and time ``months`` later, or the month's last day if it is shorter."""
    index = value.month - 1 + months
    year, month = value.year + index // 12, index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def _preferred_storage(region: Region, api_version: str) -> str:
    if api_version >= ZRS_DEFAULT_SINCE and region.zrs:
        return "Standard_ZRS"
    return "Standard_LRS"


# Changes ----------------------------------------------------------------------------------------


def check_version_change(version: Version, spec: VersionSpec) -> None:
    """``PropertyChangeNotAllowed`` or ``OperationNotAllowed`` when a re-PUT changes what it may
    not: the source, a region's storage type, or (without the safety flag) the regions."""
    if ids.key(spec.source_id) != version.source_key:
        raise property_change_not_allowed(f"{_VERSION}.storageProfile.source.id")
    current = {region.region.name: region for region in version.regions}
    for target in spec.targets:
        name = target.region.name
        if name in current and current[name].storage_account_type != target.storage_account_type:
            raise property_change_not_allowed(f"{_PUBLISHING}.targetRegions.storageAccountType")
    removed = removed_regions(version, spec)
    if removed and not (
        spec.allow_deletion_of_replicated_locations
        or version.allow_deletion_of_replicated_locations
    ):
        raise operation_not_allowed(
            "Gallery image version publishing profile regions cannot be removed ("
            + ", ".join(region.region.display_name for region in removed)
            + ") unless 'safetyProfile.allowDeletionOfReplicatedLocations' is true."
        )


def removed_regions(version: Version, spec: VersionSpec) -> list[RegionReplication]:
    """The regions of ``version`` that ``spec`` no longer targets."""
    wanted = {target.region.name for target in spec.targets}
    return [region for region in version.regions if region.region.name not in wanted]


def check_deletable(version: Version, now: datetime) -> None:
    """``DeleteGalleryImageVersionBlockedBeforeEndOfLife`` while the version's deletion is blocked:
    ``blockDeletionBeforeEndOfLife`` is true and its end of life has not come (a version with no
    end of life stays blocked until the flag is cleared)."""
    end_of_life = version.end_of_life_date
    if not version.block_deletion_before_end_of_life or (
        end_of_life is not None and utc(end_of_life) <= now
    ):
        return
    # Azure publishes the code (azure-cli's notice) but neither status nor text: both are the
    # emulator's choice.
    until = f"its end of life date '{end_of_life.isoformat()}'" if end_of_life else "end of life"
    raise ArmErrorResponse(
        409,
        "DeleteGalleryImageVersionBlockedBeforeEndOfLife",
        f"Gallery image version '{version.name}' cannot be deleted before {until} because "
        "'safetyProfile.blockDeletionBeforeEndOfLife' is true. Set "
        "'blockDeletionBeforeEndOfLife' to false, or an earlier end of life date, to delete it.",
    )


def version_busy(version: Version) -> ArmErrorResponse:
    return operation_not_allowed(
        f"An operation is in progress on gallery image version '{version.name}'. "
        "Retry after it completes."
    )


def replication_failed(region: RegionReplication) -> dict[str, str]:
    """The error a version's operation ends with when ``region`` failed (and no source rule did)."""
    return {
        "code": region.fail_code,
        "message": (
            f"Replication failed in region '{region.region.display_name}' due to "
            f"'{region.fail_message}'"
        ),
    }
