"""Source rules: which managed image may feed a version, and the errors when one may not.

Two moments: the version's PUT refuses a malformed, missing, unready or busy source at once
(``check_source_id``, ``source_not_found``, ``source_not_ready``, ``source_in_use``); what the
backend finds later (``source_incompatibility``, ``oversized_source``) fails the PUT's operation
instead, as Azure does. The service applies them in ``service/versions.py`` and
``service/replicating.py``.
"""

from __future__ import annotations

from emulator import ids
from emulator.errors import ArmErrorResponse, invalid_parameter, retry_after_headers
from emulator.resources import Definition, ManagedImage

_SOURCE_ID = "galleryImageVersion.properties.storageProfile.source.id"
#: What a version may name as its source; only managed images are modelled (the others are
#: never found).
_SOURCE_TYPES = (
    "microsoft.compute/images",
    "microsoft.compute/virtualmachines",
    "microsoft.compute/galleries/images/versions",
)


def check_source_id(source_id: str) -> None:
    """``InvalidParameter`` unless ``source_id`` is a resource id of a type a version reads."""
    parsed = ids.parse_id(source_id)
    if parsed is None or not parsed.types_and_names:
        raise invalid_source_id(source_id)
    if parsed.resource_type.lower() not in _SOURCE_TYPES:
        raise unsupported_source_type(source_id)


def source_not_found(source_id: str) -> ArmErrorResponse:
    # Azure answers "NotFound" for a source that is missing or in another region.
    return ArmErrorResponse(
        404,
        "NotFound",
        f"Source {source_id} is not found. Please check source exists, and is in the same "
        "region as gallery image version being created.",
        target=_SOURCE_ID,
    )


def invalid_source_id(source_id: str) -> ArmErrorResponse:
    return invalid_parameter(
        f"Property id '{source_id}' at path 'properties.storageProfile.source.id' is invalid. "
        "Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' "
        "or '/providers/{resourceProviderNamespace}/'.",
        target=_SOURCE_ID,
    )


def unsupported_source_type(source_id: str) -> ArmErrorResponse:
    return invalid_parameter(
        f"The source id: {source_id} must either be a managed image, virtual machine or another "
        "gallery image version",
        target=_SOURCE_ID,
    )


def source_not_ready(image: ManagedImage) -> ArmErrorResponse:
    # Azure documents no code for this; the emulator answers 400 InvalidParameter.
    return invalid_parameter(
        f"Source {image.resource_id} is in provisioning state '{image.state}'. A gallery image "
        "version can only be created from a source in provisioning state 'Succeeded'.",
        target=_SOURCE_ID,
    )


def source_in_use(image: ManagedImage) -> ArmErrorResponse:
    # Azure documents no code; a public troubleshooting guide quotes this text with "Conflict".
    return ArmErrorResponse(
        409,
        "Conflict",
        f"The source image '{image.resource_id}' is being used by another replication "
        "currently. Please retry after some time.",
        target=_SOURCE_ID,
    )


def source_overloaded(image: ManagedImage, retry_after: float) -> ArmErrorResponse:
    """An injected fault: Azure throttles reads of a busy source. The text is Azure's (its
    "Troubleshoot Azure Compute Gallery" page); the status, code and headers are the emulator's
    choice, made so that clients retry it as they retry a 429."""
    return ArmErrorResponse(
        429,
        "TooManyRequests",
        f"Too many requests on source '{image.resource_id}'. Please reduce the number of "
        "requests on the source or wait some time before retrying.",
        target=_SOURCE_ID,
        headers=retry_after_headers(retry_after),
        fault="source-throttled",
    )


def source_incompatibility(definition: Definition, image: ManagedImage) -> ArmErrorResponse | None:
    """Why ``image`` cannot feed a version of ``definition`` (Azure fails the operation)."""
    # A managed image is a generalized copy whatever its osState says: it only feeds Generalized.
    if definition.os_state != "Generalized" or image.os_state != "Generalized":
        return ArmErrorResponse(
            409,
            "Conflict",
            f"Cannot create Gallery Image Version from: {image.resource_id} since the OS State "
            f"in the parent gallery image ('{definition.os_state}') is not 'Generalized'.",
        )
    if definition.os_type != image.os_type:
        return ArmErrorResponse(
            409,
            "Conflict",
            f"The resource with id '{image.resource_id}' has a different OS type "
            f"['{image.os_type}'] than the parent gallery image OS type generation "
            f"['{definition.os_type}']",
        )
    image_generation = image.hyper_v_generation or "V1"
    if definition.hyper_v_generation != image_generation:
        return ArmErrorResponse(
            409,
            "Conflict",
            f"The resource with id '{image.resource_id}' has a different Hypervisor generation "
            f"['{image_generation}'] than the parent gallery image Hypervisor generation "
            f"['{definition.hyper_v_generation}']",
        )
    security = definition.features.get("securitytype", "")
    needs_guest_state = {"trustedlaunch": "TrustedLaunch", "confidentialvm": "ConfidentialVM"}
    if security.lower() in needs_guest_state:
        # TrustedLaunch and ConfidentialVM versions carry the source VM's guest state (VMGS),
        # which a managed image never has. Azure's text for this case is not published.
        named = needs_guest_state[security.lower()]
        kind = "Trusted Launch" if named == "TrustedLaunch" else "Confidential VM"
        return ArmErrorResponse(
            409,
            "Conflict",
            f"The source '{image.resource_id}' is not a {kind} source, so it cannot "
            f"create a version of gallery image '{definition.name}' whose feature "
            f"'SecurityType' is '{named}'. Use '{named}Supported' for managed images.",
        )
    return None


def oversized_source(image: ManagedImage, max_data_disk_gb: int) -> ArmErrorResponse | None:
    largest = max((size for _, size in image.data_disks), default=0)
    if largest <= max_data_disk_gb:
        return None
    return ArmErrorResponse(
        409,
        "GallerySourceResourceExceedsMaxSize",
        f"The GalleryImageVersion source resource size {largest} exceeds the max size "
        f"{max_data_disk_gb} supported.",
    )
