"""ARM resource ids: parsing, building and comparing them as ARM does (case-insensitively)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.Compute/(?P<type>[A-Za-z]+)/(?P<name>[^/]+)/?$",
    re.IGNORECASE,
)
_SCOPE = re.compile(r"^/subscriptions/(?P<sub>[^/]+)(?:/resourceGroups/(?P<rg>[^/]+))?/?$", re.I)


class ResourceIdError(ValueError):
    """A string is not the ARM id of the kind of resource expected."""


@dataclass(frozen=True)
class ResourceId:
    """A Microsoft.Compute resource id, split into its parts (casing kept as given)."""

    subscription: str
    resource_group: str
    kind: str  # the resource type as KINDS spells it ("images", "galleries", ...)
    name: str

    @property
    def id(self) -> str:
        provider = "Microsoft.Compute"
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/{provider}/{self.kind}/{self.name}"
        )

    @property
    def key(self) -> str:
        """The form two ids are compared by: ARM ids are case-insensitive."""
        return self.id.lower()

    def __str__(self) -> str:
        return self.id


# The Microsoft.Compute resource types a request may name, and what to call each in an error.
KINDS = {
    "images": "managed image",
    "galleries": "gallery",
    "diskEncryptionSets": "disk encryption set",
    "virtualMachineScaleSets": "virtual machine scale set",
}


def parse_resource_id(value: str, kind: str) -> ResourceId:
    """Parse the id of a Microsoft.Compute resource of type ``kind`` (a key of :data:`KINDS`)."""
    match = _ID.match(value.strip())
    if not match or match["type"].lower() != kind.lower():
        noun = KINDS[kind]
        raise ResourceIdError(
            f"'{value}' is not a {noun} id: expected /subscriptions/<id>/resourceGroups/<name>"
            f"/providers/Microsoft.Compute/{kind}/<name>"
        )
    return ResourceId(match["sub"], match["rg"], kind, match["name"])


def parse_image_id(value: str) -> ResourceId:
    return parse_resource_id(value, "images")


def parse_gallery_id(value: str) -> ResourceId:
    return parse_resource_id(value, "galleries")


def parse_disk_encryption_set_id(value: str) -> ResourceId:
    return parse_resource_id(value, "diskEncryptionSets")


def same_id(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


@dataclass(frozen=True)
class Scope:
    """A subscription, or a resource group in one, that the app may touch."""

    subscription: str
    resource_group: str | None = None

    def contains(self, resource: ResourceId) -> bool:
        if self.subscription.lower() != resource.subscription.lower():
            return False
        return self.resource_group is None or (
            self.resource_group.lower() == resource.resource_group.lower()
        )

    def __str__(self) -> str:
        base = f"/subscriptions/{self.subscription}"
        if self.resource_group is None:
            return base
        return f"{base}/resourceGroups/{self.resource_group}"


def parse_scope(value: str) -> Scope:
    match = _SCOPE.match(value.strip())
    if not match:
        raise ResourceIdError(
            f"'{value}' is not a scope: expected /subscriptions/<id>[/resourceGroups/<name>]"
        )
    return Scope(match["sub"], match["rg"])


def source_key(source_id: str) -> str:
    """A short, stable token for a source image, usable in instance ids (same for any casing)."""
    return hashlib.sha256(source_id.strip().rstrip("/").lower().encode()).hexdigest()[:24]
