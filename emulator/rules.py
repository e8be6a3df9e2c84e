"""Azure's rules for galleries, definitions, versions and managed images, with its codes and texts.

The message texts follow Azure's own (the "Troubleshoot shared image galleries" page and error
responses quoted in public issue threads). Where Azure documents no code, the choice is noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator import bodies
from emulator.errors import (
    ArmErrorResponse,
    invalid_parameter,
    invalid_request_content,
    out_of_range,
    property_change_not_allowed,
    required_missing,
)
from emulator.regions import Region, available_regions_text, find_region, region_key
from emulator.resources import Definition, ManagedImage
from simclock import utc

MAX_INT32 = 2_147_483_647
MAX_REPLICAS = 100
STORAGE_ACCOUNT_TYPES = ("Standard_LRS", "Standard_ZRS", "Premium_LRS", "PremiumV2_LRS")
#: From this api-version on, Azure prefers Standard_ZRS when no storage type is given.
ZRS_DEFAULT_SINCE = "2025-03-03"

_GALLERY_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.]{0,78}[A-Za-z0-9])?")
_DEFINITION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}(?<![.-])")
_VERSION_NAME = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")
_IMAGE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?")
_IDENTIFIER_PART = re.compile(r"[A-Za-z0-9._-]*[A-Za-z0-9_-]")
_IDENTIFIER_LIMITS = {"publisher": 128, "offer": 64, "sku": 64}


# Names ------------------------------------------------------------------------------------------


def check_gallery_name(name: str) -> None:
    if not _GALLERY_NAME.fullmatch(name):
        raise invalid_parameter(
            "Gallery name is invalid. Allowed characters are English alphanumeric characters, "
            "with underscores, and periods allowed in the middle, up to 80 characters total. "
            "All other special characters, including dashes, are disallowed.",
            target="galleryName",
        )


def check_definition_name(name: str) -> None:
    if not _DEFINITION_NAME.fullmatch(name):
        raise invalid_parameter(
            "The entity name 'galleryImageName' is invalid according to its validation rule: "
            r"^[^_\W][\w-._]{0,79}(?<![-.])$.",
            target="galleryImageName",
        )


def check_version_name(name: str) -> tuple[int, int, int]:
    """The three parts of a ``Major.Minor.Patch`` version name, each a 32-bit integer."""
    match = _VERSION_NAME.fullmatch(name)
    # Length first: int() of thousands of digits raises instead of comparing.
    if match is None or any(len(part) > 10 or int(part) > MAX_INT32 for part in match.groups()):
        raise invalid_parameter(
            "The image version name is invalid. The image version name should follow "
            "Major(int).Minor(int).Patch(int) format, for e.g: 1.0.0, 2018.12.1 etc.",
            target="galleryImageVersionName",
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def check_image_name(name: str) -> None:
    if not _IMAGE_NAME.fullmatch(name):
        raise invalid_parameter(
            f"The resource name '{name}' is invalid. It must be 1 to 80 characters of letters, "
            "digits, underscores, periods and hyphens, start with a letter or digit and end "
            "with a letter, digit or underscore.",
            target="imageName",
        )


def check_identifier(identifier: bodies.Identifier | None) -> tuple[str, str, str]:
    if identifier is None:
        raise required_missing("galleryImage.properties.identifier")
    parts: list[str] = []
    for part in ("publisher", "offer", "sku"):
        value = getattr(identifier, part) or ""
        limit = _IDENTIFIER_LIMITS[part]
        if not _IDENTIFIER_PART.fullmatch(value) or len(value) > limit:
            raise invalid_parameter(
                f"Asset name galleryImage.properties.identifier.{part} is not valid. It cannot "
                "be empty. Allowed characters are uppercase or lowercase letters, digits, "
                "hyphen(-), period (.), underscore (_). Names are not allowed to end with "
                f"period(.). The length of the name cannot exceed {limit} characters.",
                target=f"galleryImage.properties.identifier.{part}",
            )
        parts.append(value)
    return parts[0], parts[1], parts[2]


# Values -----------------------------------------------------------------------------------------


def canonical(value: str | None, allowed: tuple[str, ...], type_name: str, path: str) -> str:
    """``value`` in its canonical casing; Azure reads these enums case-insensitively."""
    if value is None:
        raise required_missing(path)
    for option in allowed:
        if option.lower() == value.lower():
            return option
    raise invalid_request_content(
        f"Error converting value \"{value}\" to type '{type_name}'. Path '{path}'"
    )


def check_location(location: str | None, resource_type: str) -> Region:
    if not location:
        raise ArmErrorResponse(
            400, "LocationRequired", "The location property is required for this definition."
        )
    region = find_region(location)
    if region is None:
        raise location_not_available(location, resource_type)
    return region


def location_not_available(location: str, resource_type: str) -> ArmErrorResponse:
    return ArmErrorResponse(
        400,
        "LocationNotAvailableForResourceType",
        f"The provided location '{location}' is not available for resource type "
        f"'{resource_type}'. List of available regions for the resource type is "
        f"'{available_regions_text()}'.",
    )


def check_end_of_life(value: datetime | None, now: datetime, path: str) -> None:
    if value is not None and utc(value) <= now:
        raise invalid_parameter("EndOfLifeDate must be set to a future date.", target=path)


def check_not_moved(existing_location: str, location: Region, resource_name: str, rg: str) -> None:
    if region_key(existing_location) != location.name:
        raise ArmErrorResponse(
            409,
            "InvalidResourceLocation",
            f"The resource '{resource_name}' already exists in location '{existing_location}' "
            f"in resource group '{rg}'. A resource with the same name cannot be created in "
            f"location '{location.name}'. Please select a new resource name.",
        )


# Definitions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefinitionSpec:
    location: Region
    tags: dict[str, str]
    #: What the client sent under ``properties``, enums canonical and defaults filled in.
    properties: dict[str, Any]
    os_type: str
    os_state: str
    hyper_v_generation: str
    architecture: str
    identifier: tuple[str, str, str]
    features: dict[str, str]
    allow_update_image: bool


_DEFINITION = "galleryImage.properties"


def definition_spec(
    body: bodies.DefinitionBody, raw: dict[str, Any], now: datetime
) -> DefinitionSpec:
    location = check_location(body.location, "Microsoft.Compute/galleries/images")
    props = body.properties
    if props is None:
        raise required_missing(_DEFINITION)
    os_type = canonical(
        props.os_type, ("Windows", "Linux"), "OperatingSystemTypes", f"{_DEFINITION}.osType"
    )
    os_state = canonical(
        props.os_state,
        ("Generalized", "Specialized"),
        "OperatingSystemStateTypes",
        f"{_DEFINITION}.osState",
    )
    hyper_v = canonical(
        props.hyper_v_generation or "V1",
        ("V1", "V2"),
        "HyperVGeneration",
        f"{_DEFINITION}.hyperVGeneration",
    )
    architecture = canonical(
        props.architecture or "x64", ("x64", "Arm64"), "Architecture", f"{_DEFINITION}.architecture"
    )
    identifier = check_identifier(props.identifier)
    check_end_of_life(props.end_of_life_date, now, f"{_DEFINITION}.endOfLifeDate")
    features = {
        (feature.name or "").lower(): feature.value or "" for feature in props.features or []
    }
    security = features.get("securitytype", "")
    if security.lower().startswith("trustedlaunch") and hyper_v != "V2":
        raise invalid_parameter(
            f"The feature 'SecurityType' with value '{security}' requires "
            "'galleryImage.properties.hyperVGeneration' to be 'V2'.",
            target=f"{_DEFINITION}.features",
        )
    properties = dict(raw.get("properties") or {})
    properties.pop("provisioningState", None)
    properties.update(
        {
            "osType": os_type,
            "osState": os_state,
            "hyperVGeneration": hyper_v,
            "architecture": architecture,
        }
    )
    return DefinitionSpec(
        location=location,
        tags=dict(body.tags or {}),
        properties=properties,
        os_type=os_type,
        os_state=os_state,
        hyper_v_generation=hyper_v,
        architecture=architecture,
        identifier=identifier,
        features=features,
        allow_update_image=bool(props.allow_update_image),
    )


def check_definition_change(existing: Definition, spec: DefinitionSpec) -> None:
    """``PropertyChangeNotAllowed`` when a PUT would change what a definition is."""
    immutable = (
        ("osType", existing.os_type, spec.os_type),
        ("osState", existing.os_state, spec.os_state),
        ("hyperVGeneration", existing.hyper_v_generation, spec.hyper_v_generation),
        ("architecture", existing.properties.get("architecture", "x64"), spec.architecture),
    )
    for name, old, new in immutable:
        if old != new:
            raise property_change_not_allowed(f"{_DEFINITION}.{name}")
    if tuple(part.lower() for part in existing.identifier) != tuple(
        part.lower() for part in spec.identifier
    ):
        raise property_change_not_allowed(f"{_DEFINITION}.identifier")
    allow_update = spec.allow_update_image or bool(existing.properties.get("allowUpdateImage"))
    if existing.features != spec.features and not allow_update:
        raise property_change_not_allowed(f"{_DEFINITION}.features")


def duplicate_identifier(name: str, identifier: tuple[str, str, str]) -> ArmErrorResponse:
    publisher, offer, sku = identifier
    return ArmErrorResponse(
        409,
        "OperationNotAllowed",
        f"Gallery image: {name} identified by (publisher:{publisher}, offer:{offer}, sku:{sku}) "
        "already exists. Choose a different publisher, offer, sku combination.",
    )


# Versions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetSpec:
    region: Region
    replicas: int
    storage_account_type: str
    exclude_from_latest: bool | None


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
        targets.append(TargetSpec(region, replicas, storage, target.exclude_from_latest))
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
        publishing_extras={k: v for k, v in raw_profile.items() if k not in _KNOWN_PUBLISHING},
        properties_extras={
            k: v for k, v in raw_properties.items() if k not in _KNOWN_VERSION_PROPERTIES
        },
    )


def _preferred_storage(region: Region, api_version: str) -> str:
    if api_version >= ZRS_DEFAULT_SINCE and region.zrs:
        return "Standard_ZRS"
    return "Standard_LRS"


def source_not_found(source_id: str) -> ArmErrorResponse:
    # Azure answers "NotFound" for a source that is missing or in another region.
    return ArmErrorResponse(
        404,
        "NotFound",
        f"Source {source_id} is not found. Please check source exists, and is in the same "
        "region as gallery image version being created.",
        target=f"{_VERSION}.storageProfile.source.id",
    )


def invalid_source_id(source_id: str) -> ArmErrorResponse:
    return invalid_parameter(
        f"Property id '{source_id}' at path 'properties.storageProfile.source.id' is invalid. "
        "Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' "
        "or '/providers/{resourceProviderNamespace}/'.",
        target=f"{_VERSION}.storageProfile.source.id",
    )


def unsupported_source_type(source_id: str) -> ArmErrorResponse:
    return invalid_parameter(
        f"The source id: {source_id} must either be a managed image, virtual machine or another "
        "gallery image version",
        target=f"{_VERSION}.storageProfile.source.id",
    )


def source_not_ready(image: ManagedImage) -> ArmErrorResponse:
    # Azure documents no code for this; the emulator answers 400 InvalidParameter.
    return invalid_parameter(
        f"Source {image.resource_id} is in provisioning state '{image.state}'. A gallery image "
        "version can only be created from a source in provisioning state 'Succeeded'.",
        target=f"{_VERSION}.storageProfile.source.id",
    )


def source_in_use(image: ManagedImage) -> ArmErrorResponse:
    # Azure documents no code; a public troubleshooting guide quotes this text with "Conflict".
    return ArmErrorResponse(
        409,
        "Conflict",
        f"The source image '{image.resource_id}' is being used by another replication "
        "currently. Please retry after some time.",
        target=f"{_VERSION}.storageProfile.source.id",
    )


def source_incompatibility(definition: Definition, image: ManagedImage) -> ArmErrorResponse | None:
    """Why ``image`` cannot feed a version of ``definition`` (Azure fails the operation)."""
    # A managed image is a generalized copy whatever its osState says: it only feeds Generalized.
    if definition.os_state != "Generalized" or image.os_state != "Generalized":
        return ArmErrorResponse(
            409,
            "Conflict",
            f"Cannot create Gallery Image Version from: {image.resource_id} since the OS State "
            f"in the parent gallery image ('{definition.os_state}') is not 'Generalized'.",
        )
    if definition.os_type != image.os_type:
        return ArmErrorResponse(
            409,
            "Conflict",
            f"The resource with id '{image.resource_id}' has a different OS type "
            f"['{image.os_type}'] than the parent gallery image OS type generation "
            f"['{definition.os_type}']",
        )
    image_generation = image.hyper_v_generation or "V1"
    if definition.hyper_v_generation != image_generation:
        return ArmErrorResponse(
            409,
            "Conflict",
            f"The resource with id '{image.resource_id}' has a different Hypervisor generation "
            f"['{image_generation}'] than the parent gallery image Hypervisor generation "
            f"['{definition.hyper_v_generation}']",
        )
    if definition.features.get("securitytype", "").lower() == "trustedlaunch":
        return ArmErrorResponse(
            409,
            "Conflict",
            f"The source '{image.resource_id}' is not a Trusted Launch source, so it cannot "
            f"create a version of gallery image '{definition.name}' whose feature "
            "'SecurityType' is 'TrustedLaunch'. Use 'TrustedLaunchSupported' for managed images.",
        )
    return None


def oversized_source(image: ManagedImage, max_data_disk_gb: int) -> ArmErrorResponse | None:
    largest = max((size for _, size in image.data_disks), default=0)
    if largest <= max_data_disk_gb:
        return None
    return ArmErrorResponse(
        409,
        "GallerySourceResourceExceedsMaxSize",
        f"The GalleryImageVersion source resource size {largest} exceeds the max size "
        f"{max_data_disk_gb} supported.",
    )


# Managed images ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageSpec:
    location: Region
    tags: dict[str, str]
    properties: dict[str, Any]
    os_type: str
    os_state: str
    hyper_v_generation: str | None
    os_disk_gb: int
    data_disks: tuple[tuple[int, int], ...]
    provisioning_state: str | None


_IMAGE = "properties"


def image_spec(body: bodies.ImageBody, raw: dict[str, Any]) -> ImageSpec:
    location = check_location(body.location, "Microsoft.Compute/images")
    props = body.properties or bodies.ImageProperties()
    storage = props.storage_profile
    if storage is None or storage.os_disk is None:
        raise required_missing(f"{_IMAGE}.storageProfile.osDisk")
    os_disk = storage.os_disk
    os_type = canonical(
        os_disk.os_type,
        ("Windows", "Linux"),
        "OperatingSystemTypes",
        f"{_IMAGE}.storageProfile.osDisk.osType",
    )
    os_state = canonical(
        os_disk.os_state or "Generalized",
        ("Generalized", "Specialized"),
        "OperatingSystemStateTypes",
        f"{_IMAGE}.storageProfile.osDisk.osState",
    )
    hyper_v = None
    if props.hyper_v_generation is not None:
        hyper_v = canonical(
            props.hyper_v_generation,
            ("V1", "V2"),
            "HyperVGenerationTypes",
            f"{_IMAGE}.hyperVGeneration",
        )
    os_disk_gb = os_disk.disk_size_gb if os_disk.disk_size_gb is not None else 30
    data_disks: list[tuple[int, int]] = []
    for index, disk in enumerate(storage.data_disks or []):
        if disk.lun is None:
            raise required_missing(f"{_IMAGE}.storageProfile.dataDisks[{index}].lun")
        data_disks.append((disk.lun, disk.disk_size_gb if disk.disk_size_gb is not None else 0))
    if len({lun for lun, _ in data_disks}) != len(data_disks):
        raise invalid_parameter(
            "Duplicated lun numbers have been detected in the input data disks. Lun number must "
            "be unique for each data disk.",
            target=f"{_IMAGE}.storageProfile.dataDisks",
        )
    properties = dict(raw.get("properties") or {})
    properties.pop("provisioningState", None)
    storage_raw = dict(properties.get("storageProfile") or {})
    os_disk_raw = dict(storage_raw.get("osDisk") or {})
    os_disk_raw.update({"osType": os_type, "osState": os_state, "diskSizeGB": os_disk_gb})
    storage_raw["osDisk"] = os_disk_raw
    properties["storageProfile"] = storage_raw
    if hyper_v is not None:
        properties["hyperVGeneration"] = hyper_v
    state = None
    if props.provisioning_state is not None:
        state = canonical(
            props.provisioning_state,
            ("Creating", "Updating", "Succeeded", "Failed", "Deleting"),
            "ProvisioningState",
            f"{_IMAGE}.provisioningState",
        )
    return ImageSpec(
        location=location,
        tags=dict(body.tags or {}),
        properties=properties,
        os_type=os_type,
        os_state=os_state,
        hyper_v_generation=hyper_v,
        os_disk_gb=os_disk_gb,
        data_disks=tuple(data_disks),
        provisioning_state=state,
    )
