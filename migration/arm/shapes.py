"""ARM's JSON for images, definitions and versions, read into facts and written from plans.

Pure code, so each shape is tested without a server; ``migration.arm.gallery`` does the I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from migration.domain.definitions import DefinitionPlan
from migration.domain.facts import (
    TAG_FINGERPRINT,
    TAG_MIGRATION,
    TAG_SOURCE,
    DefinitionFacts,
    Identifier,
    ImageFacts,
    RegionEncryption,
    RegionStatus,
    RegionTarget,
    VersionFacts,
)
from migration.domain.plan import ImagePlan
from migration.domain.rules import normalize_region


def _props(resource: dict[str, Any]) -> dict[str, Any]:
    props = resource.get("properties")
    return props if isinstance(props, dict) else {}


def image_facts(resource: dict[str, Any]) -> ImageFacts:
    props = _props(resource)
    storage = props.get("storageProfile") or {}
    os_disk = storage.get("osDisk") or {}
    data_disks = sorted(storage.get("dataDisks") or [], key=lambda d: d.get("lun", 0))
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
        data_disks_gb=[int(disk.get("diskSizeGB") or 0) for disk in data_disks],
        data_disk_luns=[int(disk.get("lun") or 0) for disk in data_disks],
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
                encryption=_read_encryption(t.get("encryption")),
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
        end_of_life_date=publishing.get("endOfLifeDate"),
        block_deletion_before_end_of_life=bool(
            (props.get("safetyProfile") or {}).get("blockDeletionBeforeEndOfLife")
        ),
    )


def _read_encryption(encryption: Any) -> RegionEncryption | None:
    if not isinstance(encryption, dict) or not encryption:
        return None
    os_disk = (encryption.get("osDiskImage") or {}).get("diskEncryptionSetId")
    data = {
        int(d.get("lun") or 0): str(d["diskEncryptionSetId"])
        for d in encryption.get("dataDiskImages") or []
        if d.get("diskEncryptionSetId")
    }
    return RegionEncryption(os_disk=os_disk, data_disks=data)


def _write_encryption(encryption: RegionEncryption) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if encryption.os_disk:
        body["osDiskImage"] = {"diskEncryptionSetId": encryption.os_disk}
    if encryption.data_disks:
        body["dataDiskImages"] = [
            {"lun": lun, "diskEncryptionSetId": set_id}
            for lun, set_id in sorted(encryption.data_disks.items())
        ]
    return body


def definition_body(plan: DefinitionPlan, location: str) -> dict[str, Any]:
    return {
        "location": location,
        "properties": {
            "osType": plan.os_type,
            "osState": plan.os_state,
            "hyperVGeneration": plan.hyper_v_generation,
            "identifier": plan.identifier.to_json(),
            # Stated even when Standard: since api-version 2025-03-03 a definition without it
            # is TrustedLaunchSupported.
            "features": [{"name": "SecurityType", "value": plan.security_type}],
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
    # Always stated: since api-version 2026-03-03 a version without one gets six months.
    if image.end_of_life_date is not None:
        publishing["endOfLifeDate"] = timestamp(image.end_of_life_date)
    return {
        # The version lives in the source's region: Azure refuses any other.
        "location": normalize_region(image.location),
        "tags": version_tags(image, migration_id),
        "properties": {
            "storageProfile": {"source": {"id": image.source}},
            "publishingProfile": publishing,
            "safetyProfile": safety_profile(image.block_deletion),
        },
    }


def safety_profile(block_deletion: bool) -> dict[str, Any]:
    # Deleting a replicated region must stay a deliberate act, not a side effect; the deletion
    # block is stated, since api-version 2026-03-03 defaults it to true.
    return {
        "allowDeletionOfReplicatedLocations": False,
        "blockDeletionBeforeEndOfLife": block_deletion,
    }


def _target_region(target: RegionTarget) -> dict[str, Any]:
    region: dict[str, Any] = {"name": target.name, "regionalReplicaCount": target.replicas}
    if target.storage_account_type:
        region["storageAccountType"] = target.storage_account_type
    if target.encryption is not None:
        region["encryption"] = _write_encryption(target.encryption)
    return region


def timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def writable_version(resource: dict[str, Any]) -> dict[str, Any]:
    """A version as read, reduced to what a PUT may send (read-only parts left out)."""
    props = _props(resource)
    publishing = {
        k: v
        for k, v in (props.get("publishingProfile") or {}).items()
        if k not in {"publishedDate"}
    }
    source = (props.get("storageProfile") or {}).get("source")
    return {
        "location": resource.get("location"),
        "tags": resource.get("tags") or {},
        "properties": {
            "storageProfile": {"source": source} if source else {},
            "publishingProfile": publishing,
            "safetyProfile": {
                k: v
                for k, v in (props.get("safetyProfile") or {}).items()
                if k in {"allowDeletionOfReplicatedLocations", "blockDeletionBeforeEndOfLife"}
            },
        },
    }


def scale_set_image(resource: dict[str, Any]) -> str:
    """The image a scale set's VMs are made from (``imageReference.id``), or ``""``."""
    profile = _props(resource).get("virtualMachineProfile") or {}
    reference = (profile.get("storageProfile") or {}).get("imageReference") or {}
    return str(reference.get("id") or "")
