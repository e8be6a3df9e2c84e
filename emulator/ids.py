"""Resource ids: building them with the casing a resource was created with, comparing them without.

ARM treats ids and names case-insensitively but answers with the casing given at creation. The
emulator keys everything by :func:`key` and keeps the original strings for responses.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDER = "Microsoft.Compute"


def key(resource_id: str) -> str:
    """The comparison key of an id or name: lower case, no trailing slash."""
    return resource_id.rstrip("/").lower()


def resource_group_id(subscription: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}"


def gallery_id(subscription: str, resource_group: str, gallery: str) -> str:
    group = resource_group_id(subscription, resource_group)
    return f"{group}/providers/{PROVIDER}/galleries/{gallery}"


def definition_id(subscription: str, resource_group: str, gallery: str, definition: str) -> str:
    return f"{gallery_id(subscription, resource_group, gallery)}/images/{definition}"


def version_id(
    subscription: str, resource_group: str, gallery: str, definition: str, version: str
) -> str:
    return f"{definition_id(subscription, resource_group, gallery, definition)}/versions/{version}"


def image_id(subscription: str, resource_group: str, image: str) -> str:
    return f"{resource_group_id(subscription, resource_group)}/providers/{PROVIDER}/images/{image}"


@dataclass(frozen=True)
class ParsedId:
    """An id split up: ``/subscriptions/S/resourceGroups/RG/providers/NS/type/name/...``."""

    subscription: str
    resource_group: str | None
    namespace: str | None
    #: Alternating type and name segments after the namespace, e.g. ``("images", "myImage")``.
    types_and_names: tuple[str, ...]

    @property
    def resource_type(self) -> str:
        """``Microsoft.Compute/images`` or ``Microsoft.Compute/galleries/images`` and so on."""
        types = self.types_and_names[0::2]
        return "/".join((self.namespace or "", *types))

    @property
    def name(self) -> str:
        return self.types_and_names[-1] if self.types_and_names else ""


def parse_id(resource_id: str) -> ParsedId | None:
    """Split a fully qualified id; ``None`` when it is not one."""
    parts = [part for part in resource_id.split("/") if part]
    if not resource_id.startswith("/") or len(parts) < 2 or parts[0].lower() != "subscriptions":
        return None
    subscription = parts[1]
    rest = parts[2:]
    resource_group: str | None = None
    if len(rest) >= 2 and rest[0].lower() == "resourcegroups":
        resource_group = rest[1]
        rest = rest[2:]
    if not rest:
        return ParsedId(subscription, resource_group, None, ())
    if rest[0].lower() != "providers" or len(rest) < 2:
        return None
    namespace = rest[1]
    types_and_names = tuple(rest[2:])
    if len(types_and_names) % 2:
        return None
    return ParsedId(subscription, resource_group, namespace, types_and_names)


def parse_image_id(resource_id: str) -> tuple[str, str, str] | None:
    """``(subscription, resource group, name)`` of a managed image id, or ``None``."""
    parsed = parse_id(resource_id)
    if (
        parsed is None
        or parsed.resource_group is None
        or parsed.resource_type.lower() != "microsoft.compute/images"
    ):
        return None
    return parsed.subscription, parsed.resource_group, parsed.name
