"""Async operations: the status a client polls after a PUT or DELETE.

Operations are made by ``Core.start_operation`` and ended by the life cycle (``Core``) or by
replication (``service/replicating.py``). Gallery resources answer with ``capsOperations``,
managed images with ``operations``; an operation is found only under its own family,
subscription and location. ``routes`` renders the status (or, with ``monitor=true``, the
``Location`` form).
"""

from __future__ import annotations

from emulator.errors import operation_not_found
from emulator.regions import find_region
from emulator.resources import Operation
from emulator.routing import COMPUTE_API_VERSIONS, GALLERY_API_VERSIONS, LOCATION, Route
from emulator.service.core import CAPS, COMPUTE, Call, Handler, Kind


class Operations(Kind):
    routes = (
        Route(
            LOCATION + "/capsOperations/{operationId}",
            "locations/capsOperations",
            GALLERY_API_VERSIONS,
            {"GET": "caps_operations.get"},
        ),
        Route(
            LOCATION + "/operations/{operationId}",
            "locations/operations",
            COMPUTE_API_VERSIONS,
            {"GET": "compute_operations.get"},
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {
            "caps_operations.get": lambda call: self.get(call, CAPS),
            "compute_operations.get": lambda call: self.get(call, COMPUTE),
        }

    def get(self, call: Call, family: str) -> Operation:
        location, operation_id = call.params["location"], call.params["operationId"]
        operation = self.core.operations.get(operation_id.lower())
        region = find_region(location)
        if (
            operation is None
            or operation.family.lower() != family.lower()
            or operation.subscription.lower() != call.sub.lower()
            or region is None
            or region.name != operation.location
        ):
            raise operation_not_found(operation_id, location)
        return operation
