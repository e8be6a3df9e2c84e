"""Managed images: list, get, PUT (create, or change tags), PATCH tags, DELETE, and seeding.

What a version reads as its source. Every successful write (a PUT once provisioned, a PATCH, a
seeded ``Succeeded`` image) is reported to ``Core.image_written`` (Event Grid). A PUT may carry a
``provisioningState``, which the image then keeps, as a seed does. Deleting an image that an
unfinished version still reads is allowed, as in Azure, and recorded as a
``source_deleted_while_replicating`` event. The rules are in ``rules/images.py`` and
``rules/names.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulator import ids
from emulator.bodies import ImageBody, ImagePatchBody, parse_body
from emulator.errors import property_change_not_allowed, resource_not_found
from emulator.resources import ManagedImage
from emulator.routing import COMPUTE_API_VERSIONS, IMAGE, RG, SUB, Route
from emulator.rules.common import being_deleted, check_not_moved
from emulator.rules.images import ImageSpec, image_spec
from emulator.rules.names import check_image_name
from emulator.service.core import (
    COMPUTE,
    Action,
    ArmResult,
    Call,
    Handler,
    Kind,
    refused_as_value_error,
    within,
)

PUT = "images.create_or_update"
DELETE = "images.delete"


class Images(Kind):
    routes = (
        Route(
            SUB + "/providers/Microsoft.Compute/images",
            "images",
            COMPUTE_API_VERSIONS,
            {"GET": "images.list"},
        ),
        Route(
            RG + "/providers/Microsoft.Compute/images",
            "images",
            COMPUTE_API_VERSIONS,
            {"GET": "images.list_by_resource_group"},
        ),
        Route(
            IMAGE,
            "images",
            COMPUTE_API_VERSIONS,
            {"GET": "images.get", "PUT": PUT, "PATCH": "images.update", "DELETE": DELETE},
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {
            "images.list": self.list_all,
            "images.list_by_resource_group": self.list_all,
            "images.get": self.get,
            PUT: self.put,
            "images.update": self.patch,
            DELETE: self.delete,
        }

    def list_all(self, call: Call) -> list[dict[str, Any]]:
        return [
            image.render() for image in within(self.core.images.values(), call.sub, call.scope_rg)
        ]

    def get(self, call: Call) -> ArmResult:
        return ArmResult(200, self._require(call).render())

    def put(self, call: Call) -> ArmResult:
        sub, rg, name, now = call.sub, call.rg, call.params["imageName"], call.now
        check_image_name(name)
        body, document = parse_body(ImageBody, call.raw)
        spec = image_spec(body, document)
        resource_id = ids.image_id(sub, rg, name)
        existing = self.core.images.get(ids.key(resource_id))
        if existing is not None:
            check_not_moved(existing.location, spec.location, name, rg)
            if existing.state == "Deleting":
                raise being_deleted("Image", name)
            if existing.properties != spec.properties:
                raise property_change_not_allowed("properties.storageProfile")
            if existing.tags == spec.tags:
                return ArmResult(200, existing.render())
            existing.tags = spec.tags
            existing.write_request = call.write_request
            operation = self.core.updating(
                existing, COMPUTE, sub, PUT, self._seconds, now, self._written(existing)
            )
            return ArmResult(200, existing.render(), operation)
        image = self._store(resource_id, name, sub, rg, spec, now)
        image.write_request = call.write_request
        if spec.provisioning_state is None:
            operation = self.core.creating(
                image, COMPUTE, sub, PUT, self._seconds, now, self._written(image)
            )
            return ArmResult(201, image.render(), operation)
        operation = self.core.start_operation(image, COMPUTE, sub, PUT, now)
        self.core.event(now, "created", image.resource_id)
        self._seeded_state(image, now)
        return ArmResult(201, image.render(), operation)

    def patch(self, call: Call) -> ArmResult:
        body, _ = parse_body(ImagePatchBody, call.raw)
        image = self._require(call)
        if body.tags is not None:
            image.tags = dict(body.tags)
        self.core.event(call.now, "updated", image.resource_id)
        image.write_request = call.write_request
        self.core.image_written(image, call.now)
        return ArmResult(200, image.render())

    def delete(self, call: Call) -> ArmResult:
        image = self.core.images.get(
            ids.key(ids.image_id(call.sub, call.rg, call.params["imageName"]))
        )
        if image is None:
            return ArmResult(204, None)
        feeding = [version.resource_id for version in self.core.versions_copying(image)]
        result = self.core.deleting(self.core.images, image, COMPUTE, call.sub, DELETE, call.now)
        if feeding:
            # Not an error in Azure, but what a migration must never do: make it visible.
            self.core.event(
                call.now,
                "source_deleted_while_replicating",
                image.resource_id,
                detail={"versions": feeding},
            )
        return result

    def seed(self, resource_id: str, spec_body: dict[str, Any], now: datetime) -> dict[str, Any]:
        """An image in the state ``spec_body`` gives, as if captured from a VM long ago."""
        sub, rg, name, spec = seed_image_spec(resource_id, spec_body)
        image = self._store(ids.image_id(sub, rg, name), name, sub, rg, spec, now)
        self.core.event(now, "created", image.resource_id, detail={"seeded": True})
        self._seeded_state(image, now)
        return image.render()

    @property
    def _seconds(self) -> float:
        return self.core.config.timings.image_seconds

    def _written(self, image: ManagedImage) -> Action:
        """What runs once ``image`` has provisioned: its Event Grid notification."""
        return lambda when: self.core.image_written(image, when)

    def _require(self, call: Call) -> ManagedImage:
        name = call.params["imageName"]
        found = self.core.images.get(ids.key(ids.image_id(call.sub, call.rg, name)))
        if found is None:
            raise resource_not_found("images", name, call.rg)
        return found

    def _store(
        self, resource_id: str, name: str, sub: str, rg: str, spec: ImageSpec, now: datetime
    ) -> ManagedImage:
        image = ManagedImage(
            resource_id=resource_id,
            name=name,
            location=spec.location.name,
            tags=spec.tags,
            created_at=now,
            state=spec.provisioning_state or "Creating",
            subscription=sub,
            resource_group=rg,
            properties=spec.properties,
            os_type=spec.os_type,
            os_state=spec.os_state,
            hyper_v_generation=spec.hyper_v_generation,
            os_disk_gb=spec.os_disk_gb,
            data_disks=spec.data_disks,
        )
        self.core.images[image.key] = image
        return image

    def _seeded_state(self, image: ManagedImage, now: datetime) -> None:
        """A seeded image keeps its state; its operation ends if that state is final."""
        if image.operation is not None and image.state in ("Succeeded", "Failed"):
            error = None
            if image.state == "Failed":
                error = {
                    "code": "InternalOperationError",
                    "message": "The image failed to provision.",
                }
            image.operation.finish(now, image.state, error)
        if image.state == "Succeeded":
            self.core.image_written(image, now)


def seed_image_spec(resource_id: str, spec_body: dict[str, Any]) -> tuple[str, str, str, ImageSpec]:
    """A seeded image's subscription, group, name and spec; ``ValueError`` when it is invalid."""
    parsed = ids.parse_image_id(resource_id)
    if parsed is None:
        raise ValueError(f"not a managed image id: {resource_id}")
    sub, rg, name = parsed
    with refused_as_value_error(resource_id):
        check_image_name(name)
        spec = image_spec(ImageBody.model_validate(spec_body), spec_body)
    return sub, rg, name, spec
