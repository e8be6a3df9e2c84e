"""Per-region encryption of a version's disk images with disk encryption sets.

``targetRegions[].encryption`` names a disk encryption set for the OS disk image
(``osDiskImage.diskEncryptionSetId``) and for data disk images by LUN
(``dataDiskImages[{lun, diskEncryptionSetId}]``). The service's rules, with the texts of Azure's
"Troubleshoot Azure Compute Gallery" page (MicrosoftDocs/azure-docs,
articles/virtual-machines/troubleshooting-shared-images.md):

- the id must be a disk encryption set id, the set must exist, be in the version's subscription
  and in that target region;
- a LUN must be one of the source's data disks, and appear once per region;
- if one region encrypts a disk, every region must encrypt it;
- an existing region's encryption cannot be added or changed by a re-PUT.

All are refused at the PUT (400, or 409 for a change). Where the page gives no code, or no text
(the region rule), the emulator chooses and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from emulator import bodies, ids
from emulator.errors import ArmErrorResponse, invalid_parameter, property_change_not_allowed
from emulator.regions import Region
from emulator.resources import DiskEncryptionSet, RegionReplication

_TARGETS = "galleryArtifactVersion.properties.publishingProfile.targetRegions"
_OS_PATH = f"{_TARGETS}.encryption.osDiskImage.diskEncryptionSetId"
_DATA_PATH = f"{_TARGETS}.encryption.dataDiskImages.diskEncryptionSetId"
_DES_TYPE = "microsoft.compute/diskencryptionsets"


@dataclass(frozen=True)
class EncryptionSpec:
    """One target region's encryption: the OS disk image's set and each data disk LUN's."""

    os_disk_set: str | None
    data_disk_sets: tuple[tuple[int, str], ...]

    def render(self) -> dict[str, Any]:
        """The canonical JSON a version answers with (and compares re-PUTs by)."""
        body: dict[str, Any] = {}
        if self.os_disk_set is not None:
            body["osDiskImage"] = {"diskEncryptionSetId": self.os_disk_set}
        if self.data_disk_sets:
            body["dataDiskImages"] = [
                {"lun": lun, "diskEncryptionSetId": set_id} for lun, set_id in self.data_disk_sets
            ]
        return body


def encryption_spec(given: bodies.EncryptionImages | None, region: Region) -> EncryptionSpec | None:
    """The encryption a target region states (``None`` when it states none); ids checked."""
    if given is None:
        return None
    os_set = None
    if given.os_disk_image is not None and given.os_disk_image.disk_encryption_set_id:
        os_set = _check_id(given.os_disk_image.disk_encryption_set_id, _OS_PATH)
    data: list[tuple[int, str]] = []
    for disk in given.data_disk_images or []:
        if disk.lun is None or not disk.disk_encryption_set_id:
            raise invalid_parameter(f"The value of parameter {_DATA_PATH} is invalid.", _DATA_PATH)
        data.append((disk.lun, _check_id(disk.disk_encryption_set_id, _DATA_PATH)))
    luns = [lun for lun, _ in data]
    for lun in luns:
        if luns.count(lun) > 1:
            raise invalid_parameter(
                f"Duplicate luns '{lun}' were specified in target region '{region.display_name}' "
                "encryption.dataDiskImages.",
                target=f"{_TARGETS}.encryption.dataDiskImages",
            )
    if os_set is None and not data:
        return None
    return EncryptionSpec(os_set, tuple(data))


def _check_id(set_id: str, path: str) -> str:
    parsed = ids.parse_id(set_id)
    if parsed is None or parsed.resource_group is None or parsed.resource_type.lower() != _DES_TYPE:
        raise invalid_parameter(f"The value of parameter {path} is invalid.", target=path)
    return set_id


def check_encryption(
    targets: Iterable[tuple[Region, EncryptionSpec | None]],
    subscription: str,
    source_luns: Iterable[int],
    find_set: Callable[[str], DiskEncryptionSet | None],
) -> None:
    """Every set exists in the version's subscription and its region, every LUN is the source's,
    and a disk encrypted in one region is encrypted in all."""
    regions = list(targets)
    luns = sorted(set(source_luns))
    for region, spec in regions:
        if spec is None:
            continue
        for set_id in {spec.os_disk_set, *(set_id for _, set_id in spec.data_disk_sets)}:
            if set_id is not None:
                _check_set(set_id, region, subscription, find_set)
        for lun, _ in spec.data_disk_sets:
            if lun not in luns:
                raise invalid_parameter(
                    f"An invalid lun [{lun}] was specified in encryption.dataDiskImages. The lun "
                    f"must be one of the following values ['{','.join(map(str, luns))}'].",
                    target=f"{_TARGETS}.encryption.dataDiskImages",
                )
    _check_every_region(regions)


def _check_set(
    set_id: str,
    region: Region,
    subscription: str,
    find_set: Callable[[str], DiskEncryptionSet | None],
) -> None:
    parsed = ids.parse_id(set_id)
    assert parsed is not None  # checked by encryption_spec
    if parsed.subscription.lower() != subscription.lower():
        # Azure's text; the code is the emulator's choice (the page gives none).
        raise invalid_parameter(
            f"The disk encryption set '{set_id}' must be in the same subscription "
            f"'{subscription}' as the gallery resource."
        )
    found = find_set(ids.key(set_id))
    if found is None:
        raise invalid_parameter(f"The disk encryption set {set_id} was not found.")
    if found.location != region.name:
        # Azure's page says only that sets work in the region they were created in: the text is
        # the emulator's.
        raise invalid_parameter(
            f"The disk encryption set '{set_id}' is in region '{found.location}' and cannot be "
            f"used in target region '{region.display_name}'. Disk encryption sets can only be "
            "used in the same subscription and region in which they were created."
        )


def _check_every_region(regions: list[tuple[Region, EncryptionSpec | None]]) -> None:
    """If one region encrypts a disk (the OS disk, or a LUN), every region must."""
    os_used = next(((r, s.os_disk_set) for r, s in regions if s and s.os_disk_set), None)
    data_used: dict[int, tuple[Region, str]] = {}
    for region, spec in regions:
        for lun, set_id in spec.data_disk_sets if spec else ():
            data_used.setdefault(lun, (region, set_id))
    for region, spec in regions:
        if os_used is not None and (spec is None or spec.os_disk_set is None):
            raise _required(f"'{_OS_PATH}'", region, os_used[1], os_used[0])
        encrypted = {lun for lun, _ in spec.data_disk_sets} if spec else set()
        for lun, (used_in, set_id) in sorted(data_used.items()):
            if lun not in encrypted:
                raise _required(f"'LUN {lun}'", region, set_id, used_in)


def _required(disk: str, region: Region, set_id: str, used_in: Region) -> ArmErrorResponse:
    return invalid_parameter(
        f"A disk encryption set is required for disk {disk} in target region "
        f"'{region.display_name}' since disk encryption set '{set_id}' is used for the "
        f"corresponding disk in region '{used_in.display_name}'"
    )


def check_encryption_change(
    current: dict[str, RegionReplication], targets: Iterable[tuple[Region, EncryptionSpec | None]]
) -> None:
    """A re-PUT may not add encryption to, or change it on, a region the version already has."""
    for region, spec in targets:
        existing = current.get(region.name)
        if existing is None:
            continue
        old = existing.encryption or {}
        new = spec.render() if spec is not None else {}
        if old == new:
            continue
        old_luns = {disk["lun"] for disk in old.get("dataDiskImages", [])}
        added = [lun for lun, _ in spec.data_disk_sets if lun not in old_luns] if spec else []
        if added:
            raise invalid_parameter(
                f"Cannot specify new data disk image encryption lun [{added[0]}] with a disk "
                f"encryption set in region [{region.display_name}] for update gallery image "
                "version request. To update this version, remove the new lun. If you need to "
                "change the data disk image encryption settings, you must create a new gallery "
                "image version with the correct settings."
            )
        if "osDiskImage" not in old and spec is not None and spec.os_disk_set is not None:
            # Azure's page quotes only the data disk form; the OS disk's follows it.
            raise invalid_parameter(
                "Cannot specify new OS disk image encryption with a disk encryption set in "
                f"region [{region.display_name}] for update gallery image version request. If "
                "you need to change the OS disk image encryption settings, you must create a new "
                "gallery image version with the correct settings."
            )
        raise property_change_not_allowed(f"{_TARGETS}.encryption")
