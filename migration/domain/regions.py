"""An image's target regions: the ones asked for, the source's own always among them, and each
region's disk encryption sets resolved to the image's disks and checked against what was read."""

from __future__ import annotations

from migration.domain.facts import ImageFacts, Inspection, RegionEncryption, RegionTarget
from migration.domain.request import Encryption, MigrationRequest
from migration.domain.rules import normalize_region


def target_regions(
    request: MigrationRequest,
    image: ImageFacts,
    inspection: Inspection,
    notes: list[str],
    problems: list[str],
) -> list[RegionTarget]:
    targets = [
        RegionTarget(
            name=region.name,
            replicas=region.replicas(request.replica_count),
            storage_account_type=region.storage_account_type or request.storage_account_type,
            encryption=_resolve(region.name, region.encryption, image, inspection, problems),
        )
        for region in request.target_regions
    ]
    home = normalize_region(image.location)
    if home not in {t.name for t in targets}:
        # Azure requires the version's own region (the source's) among the targets.
        targets.insert(
            0,
            RegionTarget(
                name=home,
                replicas=request.replica_count,
                storage_account_type=request.storage_account_type,
            ),
        )
        if request.target_regions:
            notes.append(f"source region {home} added to the target regions")
        if any(t.encryption for t in targets):
            # Every region encrypted or none: the region Azure adds must be named, with its sets.
            problems.append(
                f"The target regions are encrypted, but the source's region {home} is not among "
                "them; name it with its disk encryption sets (every region or none)."
            )
    return targets


def _resolve(
    region: str,
    asked: Encryption | None,
    image: ImageFacts,
    inspection: Inspection,
    problems: list[str],
) -> RegionEncryption | None:
    """The region's sets per disk of this image, checking each set exists in that region."""
    if asked is None:
        return None
    per_lun = {d.lun: d.disk_encryption_set_id for d in asked.data_disks}
    for lun in sorted(set(per_lun) - set(image.data_disk_luns)):
        problems.append(f"targetRegions {region}: the image has no data disk at LUN {lun}.")
    data = {
        lun: per_lun.get(lun) or asked.data_disk_encryption_set_id
        for lun in image.data_disk_luns
        if per_lun.get(lun) or asked.data_disk_encryption_set_id
    }
    for set_id in {asked.os_disk_encryption_set_id, *data.values()} - {None}:
        found = inspection.encryption_sets.get(str(set_id).lower())
        if found is None or not found.exists:
            problems.append(f"Disk encryption set {set_id} was not found.")
        elif normalize_region(found.location) != region:
            problems.append(
                f"Disk encryption set {set_id} is in {found.location}; region {region} needs "
                "one of its own region."
            )
    return RegionEncryption(os_disk=asked.os_disk_encryption_set_id, data_disks=data)
