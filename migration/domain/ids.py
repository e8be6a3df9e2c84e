"""ARM resource ids: parsing, building and comparing them as ARM does (case-insensitively).

Only plain ids pass: a GUID subscription, a resource group and a name within ARM's naming rules,
nothing else (no query string, fragment, percent-encoding, whitespace or control character), so
that an id that cannot name a real resource is refused at the door rather than failing later.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]*)/resourceGroups/(?P<rg>[^/]*)"
    r"/providers/Microsoft\.Compute/(?P<type>[A-Za-z]+)/(?P<name>[^/]*)/?$",
    re.IGNORECASE,
)
_SCOPE = re.compile(r"^/subscriptions/(?P<sub>[^/]*)(?:/resourceGroups/(?P<rg>[^/]*))?/?$", re.I)
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Resource groups: 1-90 letters (any script), digits, underscores, parentheses, hyphens and
# periods, not ending with a period.
_RESOURCE_GROUP = re.compile(r"[\w\-.()]{0,89}[\w\-()]")
# Names per type, as ARM's naming rules for Microsoft.Compute give them.
_NAMES = {
    "images": re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?"),
    # Gallery names have rules of their own, worded as the service words them (rules.py).
    "galleries": re.compile(r"[A-Za-z0-9_.-]{1,80}"),
    "diskEncryptionSets": re.compile(r"[A-Za-z0-9_-]{1,80}"),
    "virtualMachineScaleSets": re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?"),
}


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
    noun = KINDS[kind]
    shown = shorten(value)
    match = _ID.match(value.strip())
    if not match or match["type"].lower() != kind.lower():
        raise ResourceIdError(
            f"'{shown}' is not a {noun} id: expected /subscriptions/<id>/resourceGroups/<name>"
            f"/providers/Microsoft.Compute/{kind}/<name>"
        )
    _check_scope(match["sub"], match["rg"], f"'{shown}' is not a {noun} id")
    if not _NAMES[kind].fullmatch(match["name"]):
        raise ResourceIdError(
            f"'{shown}' is not a {noun} id: '{shorten(match['name'])}' is not a valid {noun} name"
        )
    return ResourceId(match["sub"], match["rg"], kind, match["name"])


def _check_scope(subscription: str, resource_group: str | None, what: str) -> None:
    if not _GUID.fullmatch(subscription):
        raise ResourceIdError(
            f"{what}: the subscription id '{shorten(subscription)}' is not a GUID"
        )
    if resource_group is not None and not _RESOURCE_GROUP.fullmatch(resource_group):
        raise ResourceIdError(
            f"{what}: '{shorten(resource_group)}' is not a valid resource group name"
        )


def shorten(value: str, limit: int = 300) -> str:
    """``value`` made safe to echo in an error: control characters escaped, long ones cut."""
    shown = value.encode("unicode_escape").decode("ascii") if not value.isprintable() else value
    return shown if len(shown) <= limit else shown[:limit] + f"... ({len(value)} characters)"


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

    def covers(self, other: Scope) -> bool:
        """Whether ``other`` lies wholly inside this scope."""
        if self.subscription.lower() != other.subscription.lower():
            return False
        if self.resource_group is None:
            return True
        return (other.resource_group or "").lower() == self.resource_group.lower()

    def __str__(self) -> str:
        base = f"/subscriptions/{self.subscription}"
        if self.resource_group is None:
            return base
        return f"{base}/resourceGroups/{self.resource_group}"


def parse_scope(value: str) -> Scope:
    match = _SCOPE.match(value.strip())
    what = f"'{shorten(value)}' is not a scope"
    if not match:
        raise ResourceIdError(f"{what}: expected /subscriptions/<id>[/resourceGroups/<name>]")
    _check_scope(match["sub"], match["rg"], what)
    return Scope(match["sub"], match["rg"])


def resource_key(resource_id: str) -> str:
    """A short, stable token for a resource id, usable in instance ids and entity keys (the same
    for any casing; Durable refuses ids with ``/`` in them, and a version id is too long)."""
    return hashlib.sha256(resource_id.strip().rstrip("/").lower().encode()).hexdigest()[:24]


def source_key(source_id: str) -> str:
    """A short, stable token for a source image, usable in instance ids (same for any casing)."""
    return resource_key(source_id)


_VERSION = re.compile(
    r"^(?P<gallery>/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute"
    r"/galleries/[^/]+)/images/(?P<definition>[^/]+)/versions/(?P<version>[^/]+)/?$",
    re.IGNORECASE,
)


def version_id(gallery: str, definition: str, version: str) -> str:
    """The id of an image version in ``gallery`` (an id as ARM spells it)."""
    return f"{gallery.rstrip('/')}/images/{definition}/versions/{version}"


def parse_version_id(value: str) -> str:
    """``value`` if it is the id of a gallery image version (in the gallery id's own shape, with
    the subscription checked as any id is), else :class:`ResourceIdError`."""
    match = _VERSION.match(value.strip())
    if not match:
        raise ResourceIdError(f"'{shorten(value)}' is not an image version id")
    parse_gallery_id(match["gallery"])
    return value.strip().rstrip("/")
