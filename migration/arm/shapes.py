"""ARM's JSON for images, definitions and versions, read into facts and written from plans.

Pure code, so each shape is tested without a server; ``migration.arm.gallery`` does the I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from migration.domain.facts import (
    TAG_FINGERPRINT,
    TAG_MIGRATION,
    TAG_SOURCE,
    DefinitionFacts,
    Identifier,
    ImageFacts,
    RegionStatus,
    RegionTarget,
    VersionFacts,
)
from migration.domain.plan import DefinitionPlan, ImagePlan
from migration.domain.rules import normalize_region


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    props = resource.get("properties")
    return props if isinstance(props, dict) else {}


def image_facts(resource: dict[str, Any]) -> ImageFacts:
    props = _props(resource)
    storage = props.get("storageProfile") or {}
    os_disk = storage.get("osDisk") or {}
    return ImageFacts(
        id=resource.get("id", ""),
        name=resource.get("name", ""),
        location=resource.get("location", ""),
        provisioning_state=props.get("provisioningState", ""),
        os_type=os_disk.get("osType", ""),
        os_state=os_disk.get("osState", ""),
        # Old images carry no generation: Azure treats them as V1.
        hyper_v_generation=props.get("hyperVGeneration") or "V1",
        os_disk_gb=int(os_disk.get("diskSizeGB") or 0),
        data_disks_gb=[
            int(disk.get("diskSizeGB") or 0)
            for disk in sorted(storage.get("dataDisks") or [], key=lambda d: d.get("lun", 0))
        ],
        tags=resource.get("tags") or {},
    )


def definition_facts(resource: dict[str, Any]) -> DefinitionFacts:
    props = _props(resource)
    identifier = props.get("identifier") or {}
    features = {f.get("name", "").lower(): f.get("value", "") for f in props.get("features") or []}
    return DefinitionFacts(
        name=resource.get("name", ""),
        os_type=props.get("osType", ""),
        os_state=props.get("osState", ""),
        hyper_v_generation=props.get("hyperVGeneration") or "V1",
        identifier=Identifier(
            publisher=identifier.get("publisher", ""),
            offer=identifier.get("offer", ""),
            sku=identifier.get("sku", ""),
        ),
        provisioning_state=props.get("provisioningState", ""),
        security_type=features.get("securitytype"),
    )


def version_facts(definition: str, resource: dict[str, Any]) -> VersionFacts:
    props = _props(resource)
    publishing = props.get("publishingProfile") or {}
    storage = props.get("storageProfile") or {}
    source = (storage.get("source") or {}).get("id") or ""
    default_replicas = int(publishing.get("replicaCount") or 1)
    default_storage = publishing.get("storageAccountType")
    summary = (props.get("replicationStatus") or {}).get("summary") or []
    return VersionFacts(
        definition=definition,
        name=resource.get("name", ""),
        source=source,
        provisioning_state=props.get("provisioningState", ""),
        target_regions=[
            RegionTarget(
                name=normalize_region(t.get("name", "")),
                replicas=int(t.get("regionalReplicaCount") or default_replicas),
                storage_account_type=t.get("storageAccountType") or default_storage,
            )
            for t in publishing.get("targetRegions") or []
        ],
        regions=[
            RegionStatus(
                name=normalize_region(s.get("region", "")),
                state=s.get("state", "Unknown"),
                progress=int(s.get("progress") or 0),
                details=s.get("details") or "",
            )
            for s in summary
        ],
        tags=resource.get("tags") or {},
    )


def definition_body(plan: DefinitionPlan, location: str) -> dict[str, Any]:
    return {
        "location": location,
        "properties": {
            "osType": plan.os_type,
            "osState": plan.os_state,
            "hyperVGeneration": plan.hyper_v_generation,
            "identifier": plan.identifier.to_json(),
        },
    }


# ARM refuses a tag value over 256 characters.
MAX_TAG_VALUE = 256


def version_tags(image: ImagePlan, migration_id: str) -> dict[str, str]:
    # The fingerprint lets a later delete tell this image from one re-created under its id.
    tags = {TAG_FINGERPRINT: image.fingerprint, TAG_MIGRATION: migration_id}
    # The source tag is for people searching by tag; the version's source.id is the record, so
    # an id too long for a tag (long group and image names) is left to that.
    if len(image.source) <= MAX_TAG_VALUE:
        tags[TAG_SOURCE] = image.source
    return tags


def version_body(image: ImagePlan, migration_id: str) -> dict[str, Any]:
    publishing: dict[str, Any] = {
        "targetRegions": [_target_region(t) for t in image.target_regions],
        "excludeFromLatest": image.exclude_from_latest,
        "replicationMode": "Full",
    }
    if image.end_of_life_date is not None:
        publishing["endOfLifeDate"] = _timestamp(image.end_of_life_date)
    return {
        # The version lives in the source's region: Azure refuses any other.
        "location": normalize_region(image.location),
        "tags": version_tags(image, migration_id),
        "properties": {
            "storageProfile": {"source": {"id": image.source}},
            "publishingProfile": publishing,
            # Deleting a replicated region must stay a deliberate act, not a side effect.
            "safetyProfile": {"allowDeletionOfReplicatedLocations": False},
        },
    }


def _target_region(target: RegionTarget) -> dict[str, Any]:
    region: dict[str, Any] = {"name": target.name, "regionalReplicaCount": target.replicas}
    if target.storage_account_type:
        region["storageAccountType"] = target.storage_account_type
    return region


def _timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")
