"""Managed image rules: what an image's PUT may say (its name is in ``rules.names``).

``image_spec`` reads and checks the body, fills in Azure's defaults and keeps what the client sent
to echo it back; the service (``service/images.py``) applies it. Seeded images go through the same
rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator import bodies
from emulator.errors import invalid_parameter, required_missing
from emulator.regions import Region
from emulator.rules.common import canonical, check_location, os_type_and_state, sent_properties


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
    os_type, os_state = os_type_and_state(
        os_disk.os_type, os_disk.os_state or "Generalized", f"{_IMAGE}.storageProfile.osDisk"
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
    properties = sent_properties(raw, "provisioningState")
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
