"""The ARM paths the emulator serves, matched case-insensitively as ARM does.

aiohttp's router compares literal segments case-sensitively, but ARM accepts
``/SUBSCRIPTIONS/s/resourcegroups/rg/...``; so ARM requests go through one catch-all route and are
matched here against the SDK's own path templates.

Each resource kind declares its own routes (``emulator/service/``) from the path templates and
api-versions here; ``ComputeService.routes`` is all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from emulator.errors import ArmErrorResponse

SUB = "/subscriptions/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"
GALLERY = RG + "/providers/Microsoft.Compute/galleries/{galleryName}"
DEFINITION = GALLERY + "/images/{galleryImageName}"
VERSION = DEFINITION + "/versions/{galleryImageVersionName}"
IMAGE = RG + "/providers/Microsoft.Compute/images/{imageName}"
LOCATION = SUB + "/providers/Microsoft.Compute/locations/{location}"
DISK_ENCRYPTION_SET = RG + "/providers/Microsoft.Compute/diskEncryptionSets/{diskEncryptionSetName}"
SCALE_SET = RG + "/providers/Microsoft.Compute/virtualMachineScaleSets/{vmScaleSetName}"

#: api-versions ARM accepts per resource family. The SDK sends 2026-03-03 for gallery resources
#: and 2026-04-01 for managed images.
GALLERY_API_VERSIONS = (
    "2018-06-01",
    "2019-03-01",
    "2019-07-01",
    "2019-12-01",
    "2020-09-30",
    "2021-03-01",
    "2021-07-01",
    "2021-10-01",
    "2022-01-03",
    "2022-03-03",
    "2022-08-03",
    "2023-07-03",
    "2024-03-03",
    "2025-03-03",
    "2026-03-03",
)
COMPUTE_API_VERSIONS = (
    "2021-03-01",
    "2021-04-01",
    "2021-07-01",
    "2021-11-01",
    "2022-03-01",
    "2022-08-01",
    "2022-11-01",
    "2023-03-01",
    "2023-07-01",
    "2023-09-01",
    "2024-03-01",
    "2024-07-01",
    "2024-11-01",
    "2025-04-01",
    "2025-11-01",
    "2026-03-01",
    "2026-04-01",
)

#: The disk resource provider's api-versions (disks, snapshots, disk encryption sets); the SDK
#: sends 2026-03-02. The list of older ones is the emulator's, from the SDK's release history.
DISK_API_VERSIONS = (
    "2019-07-01",
    "2019-11-01",
    "2020-05-01",
    "2020-06-30",
    "2020-09-30",
    "2020-12-01",
    "2021-04-01",
    "2021-08-01",
    "2021-12-01",
    "2022-03-02",
    "2022-07-02",
    "2023-01-02",
    "2023-04-02",
    "2023-10-02",
    "2024-03-02",
    "2025-01-02",
    "2026-03-02",
)
#: Microsoft.Resources' subscription api-versions; azure-mgmt-resource-subscriptions 1.0.0 (and
#: azure-mgmt-resource before 26) sends 2022-12-01.
SUBSCRIPTION_API_VERSIONS = (
    "2016-06-01",
    "2018-06-01",
    "2019-06-01",
    "2019-11-01",
    "2020-01-01",
    "2021-01-01",
    "2022-01-01",
    "2022-12-01",
)


@dataclass(frozen=True)
class Route:
    template: str
    #: ARM's resource type name in api-version errors, e.g. ``galleries/images``.
    arm_type: str
    api_versions: tuple[str, ...]
    #: HTTP method -> operation name.
    operations: dict[str, str]
    #: The resource type RBAC actions name, e.g. ``Microsoft.Resources/subscriptions/locations``
    #: (``Microsoft.Compute/<arm_type>`` when not given).
    action_type: str | None = None

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(part for part in self.template.split("/") if part)

    @property
    def is_collection(self) -> bool:
        """Whether the route lists a collection (its last segment is a literal, e.g. ``images``)."""
        return not self.segments[-1].startswith("{")


#: The RBAC verb of each HTTP method (Azure's resource provider operations list).
_VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


@dataclass(frozen=True)
class Match:
    route: Route
    operation: str
    params: dict[str, str]
    method: str = "GET"
    #: The request's path segments, decoded, in the client's casing.
    parts: tuple[str, ...] = ()

    @property
    def action(self) -> str:
        """The Azure RBAC action the request needs, e.g. ``Microsoft.Compute/images/read``."""
        resource_type = self.route.action_type or f"Microsoft.Compute/{self.route.arm_type}"
        return f"{resource_type}/{_VERBS.get(self.method.upper(), 'action')}"

    @property
    def scope(self) -> str:
        """Where the action applies: the resource's id, or for a list the scope that holds the
        collection (a subscription, a resource group or the parent resource), as a role
        assignment would have to cover it."""
        parts = list(self.parts)
        if self.route.is_collection:
            parts.pop()
            if len(parts) >= 2 and parts[-2].lower() == "providers":
                del parts[-2:]
        return "/" + "/".join(parts)


def match(method: str, path: str, routes: Iterable[Route]) -> Match:
    """The route of ``routes`` and operation for ``method path``; ARM's 404 or 405 when there is
    none."""
    parts = tuple(unquote(part) for part in path.split("/") if part)
    for route in routes:
        params = _bind(route.segments, parts)
        if params is None:
            continue
        operation = route.operations.get(method.upper())
        if operation is None:
            raise ArmErrorResponse(
                405,
                "MethodNotAllowed",
                f"The requested resource does not support http method '{method.upper()}'.",
            )
        return Match(route, operation, params, method.upper(), parts)
    raise _unknown(parts)


def _bind(template: tuple[str, ...], parts: tuple[str, ...]) -> dict[str, str] | None:
    if len(template) != len(parts):
        return None
    params: dict[str, str] = {}
    for expected, actual in zip(template, parts, strict=True):
        if expected.startswith("{"):
            if not actual:
                return None
            params[expected[1:-1]] = actual
        elif expected.lower() != actual.lower():
            return None
    return params


def _unknown(parts: tuple[str, ...]) -> ArmErrorResponse:
    lowered = [part.lower() for part in parts]
    if "providers" in lowered:
        index = lowered.index("providers")
        namespace = parts[index + 1] if index + 1 < len(parts) else ""
        types = parts[index + 2 :: 2]
        return ArmErrorResponse(
            404,
            "InvalidResourceType",
            f"The resource type '{'/'.join(types)}' could not be found in the namespace "
            f"'{namespace}'.",
        )
    return ArmErrorResponse(
        404,
        "NotFound",
        f"The requested URI '/{'/'.join(parts)}' does not represent any resource on the server.",
    )
