"""ARM's error envelope and the errors the emulator answers with.

Every error leaves as ``{"error": {"code", "message", "target"?, "details"?}}``, the shape
azure-core's ``ARMErrorFormat`` reads into ``HttpResponseError.error``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


class ArmErrorResponse(Exception):
    """An error answer the emulator sends: HTTP status, ARM code and message.

    Raised wherever a request is refused and turned into the response by ``routes``. Not to be
    confused with the app's ``migration.arm.errors.ArmError``, which is what the app makes of
    such an answer once the SDK has read it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        fault: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details
        self.headers = dict(headers or {})
        #: The request log's ``fault`` mark when the answer is an injected fault.
        self.fault = fault

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            error["target"] = self.target
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def as_operation_error(self) -> dict[str, str]:
        """The ``error`` member of a Failed async-operation status."""
        return {"code": self.code, "message": self.message}


def retry_after_headers(seconds: float) -> dict[str, str]:
    """``Retry-After`` (whole seconds) and ``retry-after-ms`` saying the same wait, as Azure's do.

    Both are simulated time: a client on a scaled or virtual clock converts them itself
    (``emulator.testing.EmulatorRetryPolicy`` does)."""
    return {
        "Retry-After": str(math.ceil(seconds)),
        "retry-after-ms": str(math.ceil(seconds * 1000)),
    }


def invalid_parameter(message: str, target: str | None = None) -> ArmErrorResponse:
    return ArmErrorResponse(400, "InvalidParameter", message, target=target)


def resource_not_found(type_path: str, name_path: str, resource_group: str) -> ArmErrorResponse:
    """ARM's 404 for a missing resource, e.g. type ``galleries/images``, name ``g/d``."""
    return ArmErrorResponse(
        404,
        "ResourceNotFound",
        f"The Resource 'Microsoft.Compute/{type_path}/{name_path}' under resource group "
        f"'{resource_group}' was not found. For more details please go to "
        "https://aka.ms/ARMResourceNotFoundFix",
    )


def parent_not_found(parent_path: str) -> ArmErrorResponse:
    return ArmErrorResponse(
        404,
        "ParentResourceNotFound",
        "Can not perform requested operation on nested resource. "
        f"Parent resource '{parent_path}' not found.",
    )


def invalid_request_content(reason: str) -> ArmErrorResponse:
    return ArmErrorResponse(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: '{reason}'.",
    )


def required_missing(path: str) -> ArmErrorResponse:
    return invalid_parameter(f"Required parameter '{path}' is missing (null).", target=path)


def out_of_range(value: object, path: str, low: int, high: int) -> ArmErrorResponse:
    return invalid_parameter(
        f"The value {value} of parameter '{path}' is out of range. "
        f"The value must be between {low} and {high}, inclusive.",
        target=path,
    )


def property_change_not_allowed(path: str) -> ArmErrorResponse:
    return ArmErrorResponse(
        409,
        "PropertyChangeNotAllowed",
        f"Changing property '{path}' is not allowed.",
        target=path,
    )


def operation_not_allowed(message: str) -> ArmErrorResponse:
    return ArmErrorResponse(409, "OperationNotAllowed", message)


def nested_resources_exist() -> ArmErrorResponse:
    """A DELETE of a gallery that has definitions, or of a definition that has versions."""
    return ArmErrorResponse(
        409, "CannotDeleteResource", "Can not delete resource before nested resources are deleted."
    )


def operation_not_found(operation_id: str, location: str) -> ArmErrorResponse:
    return ArmErrorResponse(
        404,
        "ResourceNotFound",
        f"The operation '{operation_id}' was not found in location '{location}'.",
    )
