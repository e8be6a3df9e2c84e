"""The ARM paths the emulator serves, matched case-insensitively as ARM does.

aiohttp's router compares literal segments case-sensitively, but ARM accepts
``/SUBSCRIPTIONS/s/resourcegroups/rg/...``; so ARM requests go through one catch-all route and are
matched here against the SDK's own path templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from emulator.errors import ArmErrorResponse

_SUB = "/subscriptions/{subscriptionId}"
_RG = _SUB + "/resourceGroups/{resourceGroupName}"
_GALLERY = _RG + "/providers/Microsoft.Compute/galleries/{galleryName}"
_DEFINITION = _GALLERY + "/images/{galleryImageName}"
_VERSION = _DEFINITION + "/versions/{galleryImageVersionName}"
_IMAGE = _RG + "/providers/Microsoft.Compute/images/{imageName}"
_LOCATION = _SUB + "/providers/Microsoft.Compute/locations/{location}"

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


@dataclass(frozen=True)
class Route:
    template: str
    #: ARM's resource type name in api-version errors, e.g. ``galleries/images``.
    arm_type: str
    api_versions: tuple[str, ...]
    #: HTTP method -> operation name.
    operations: dict[str, str]

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(part for part in self.template.split("/") if part)


ROUTES: tuple[Route, ...] = (
    Route(
        _SUB + "/providers/Microsoft.Compute/galleries",
        "galleries",
        GALLERY_API_VERSIONS,
        {"GET": "galleries.list"},
    ),
    Route(
        _RG + "/providers/Microsoft.Compute/galleries",
        "galleries",
        GALLERY_API_VERSIONS,
        {"GET": "galleries.list_by_resource_group"},
    ),
    Route(
        _GALLERY,
        "galleries",
        GALLERY_API_VERSIONS,
        {
            "GET": "galleries.get",
            "PUT": "galleries.create_or_update",
            "DELETE": "galleries.delete",
        },
    ),
    Route(
        _GALLERY + "/images",
        "galleries/images",
        GALLERY_API_VERSIONS,
        {"GET": "gallery_images.list_by_gallery"},
    ),
    Route(
        _DEFINITION,
        "galleries/images",
        GALLERY_API_VERSIONS,
        {
            "GET": "gallery_images.get",
            "PUT": "gallery_images.create_or_update",
            "DELETE": "gallery_images.delete",
        },
    ),
    Route(
        _DEFINITION + "/versions",
        "galleries/images/versions",
        GALLERY_API_VERSIONS,
        {"GET": "gallery_image_versions.list_by_gallery_image"},
    ),
    Route(
        _VERSION,
        "galleries/images/versions",
        GALLERY_API_VERSIONS,
        {
            "GET": "gallery_image_versions.get",
            "PUT": "gallery_image_versions.create_or_update",
            "DELETE": "gallery_image_versions.delete",
        },
    ),
    Route(
        _SUB + "/providers/Microsoft.Compute/images",
        "images",
        COMPUTE_API_VERSIONS,
        {"GET": "images.list"},
    ),
    Route(
        _RG + "/providers/Microsoft.Compute/images",
        "images",
        COMPUTE_API_VERSIONS,
        {"GET": "images.list_by_resource_group"},
    ),
    Route(
        _IMAGE,
        "images",
        COMPUTE_API_VERSIONS,
        {
            "GET": "images.get",
            "PUT": "images.create_or_update",
            "PATCH": "images.update",
            "DELETE": "images.delete",
        },
    ),
    Route(
        _LOCATION + "/capsOperations/{operationId}",
        "locations/capsOperations",
        GALLERY_API_VERSIONS,
        {"GET": "caps_operations.get"},
    ),
    Route(
        _LOCATION + "/operations/{operationId}",
        "locations/operations",
        COMPUTE_API_VERSIONS,
        {"GET": "compute_operations.get"},
    ),
)


@dataclass(frozen=True)
class Match:
    route: Route
    operation: str
    params: dict[str, str]


def match(method: str, path: str) -> Match:
    """The route and operation for ``method path``; ARM's 404 or 405 when there is none."""
    parts = tuple(unquote(part) for part in path.split("/") if part)
    for route in ROUTES:
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
        return Match(route, operation, params)
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
