"""Galleries: list, get, PUT (create or update its properties and tags), DELETE, and seeding.

Their rules are in ``rules/galleries.py`` (the body), ``rules/names.py`` (the name) and
``rules/common.py`` (location, moves, a PUT while deleting); a gallery with definitions cannot be
deleted (``errors.nested_resources_exist``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulator import ids
from emulator.bodies import GalleryBody, parse_body
from emulator.errors import nested_resources_exist, resource_not_found
from emulator.regions import Region
from emulator.resources import Gallery
from emulator.routing import GALLERY, GALLERY_API_VERSIONS, RG, SUB, Route
from emulator.rules.common import being_deleted, check_not_moved
from emulator.rules.galleries import GALLERY_TYPE, gallery_spec
from emulator.rules.names import check_gallery_name
from emulator.service.core import (
    CAPS,
    ArmResult,
    Call,
    Handler,
    Kind,
    refused_as_value_error,
    seed_target,
    within,
)

PUT = "galleries.create_or_update"
DELETE = "galleries.delete"


class Galleries(Kind):
    routes = (
        Route(
            SUB + "/providers/Microsoft.Compute/galleries",
            "galleries",
            GALLERY_API_VERSIONS,
            {"GET": "galleries.list"},
        ),
        Route(
            RG + "/providers/Microsoft.Compute/galleries",
            "galleries",
            GALLERY_API_VERSIONS,
            {"GET": "galleries.list_by_resource_group"},
        ),
        Route(
            GALLERY,
            "galleries",
            GALLERY_API_VERSIONS,
            {"GET": "galleries.get", "PUT": PUT, "DELETE": DELETE},
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {
            "galleries.list": self.list_all,
            "galleries.list_by_resource_group": self.list_all,
            "galleries.get": self.get,
            PUT: self.put,
            DELETE: self.delete,
        }

    def list_all(self, call: Call) -> list[dict[str, Any]]:
        galleries = within(self.core.galleries.values(), call.sub, call.scope_rg)
        return [gallery.render() for gallery in galleries]

    def get(self, call: Call) -> ArmResult:
        name = call.params["galleryName"]
        found = self.core.gallery(call.sub, call.rg, name)
        if found is None:
            raise resource_not_found("galleries", name, call.rg)
        return ArmResult(200, found.render())

    def put(self, call: Call) -> ArmResult:
        sub, rg, name, now = call.sub, call.rg, call.params["galleryName"], call.now
        check_gallery_name(name)
        body, document = parse_body(GalleryBody, call.raw)
        spec = gallery_spec(body, document)
        existing = self.core.gallery(sub, rg, name)
        if existing is not None:
            check_not_moved(existing.location, spec.location, name, rg)
            if existing.state == "Deleting":
                raise being_deleted("Gallery", name)
            if existing.properties == spec.properties and existing.tags == spec.tags:
                return ArmResult(200, existing.render())
            existing.properties, existing.tags = spec.properties, spec.tags
            operation = self.core.updating(existing, CAPS, sub, PUT, self._seconds, now)
            return ArmResult(200, existing.render(), operation)
        gallery = self._store(sub, rg, name, spec.location, spec.tags, spec.properties, now)
        operation = self.core.creating(gallery, CAPS, sub, PUT, self._seconds, now)
        return ArmResult(201, gallery.render(), operation)

    def delete(self, call: Call) -> ArmResult:
        gallery = self.core.gallery(call.sub, call.rg, call.params["galleryName"])
        if gallery is None:
            return ArmResult(204, None)
        prefix = gallery.key + "/"
        if any(key.startswith(prefix) for key in self.core.definitions):
            raise nested_resources_exist()
        return self.core.deleting(self.core.galleries, gallery, CAPS, call.sub, DELETE, call.now)

    def seed(
        self,
        resource_id: str,
        location: str,
        properties: dict[str, Any],
        tags: dict[str, str],
        now: datetime,
    ) -> dict[str, Any]:
        """A gallery that is there at once (``Succeeded``), as if created long ago."""
        parsed, region = seed_gallery_target(resource_id, location)
        assert parsed.resource_group is not None  # checked by seed_gallery_target
        gallery = self._store(
            parsed.subscription,
            parsed.resource_group,
            parsed.name,
            region,
            dict(tags),
            dict(properties),
            now,
            state="Succeeded",
        )
        self.core.event(now, "created", gallery.resource_id, detail={"seeded": True})
        return gallery.render()

    @property
    def _seconds(self) -> float:
        return self.core.config.timings.gallery_seconds

    def _store(
        self,
        sub: str,
        rg: str,
        name: str,
        location: Region,
        tags: dict[str, str],
        properties: dict[str, Any],
        now: datetime,
        state: str = "Creating",
    ) -> Gallery:
        gallery = Gallery(
            resource_id=ids.gallery_id(sub, rg, name),
            name=name,
            location=location.name,
            tags=tags,
            created_at=now,
            state=state,
            subscription=sub,
            resource_group=rg,
            properties=properties,
        )
        self.core.galleries[gallery.key] = gallery
        return gallery


def seed_gallery_target(resource_id: str, location: str) -> tuple[ids.ParsedId, Region]:
    """Where a seeded gallery goes; ``ValueError`` (never an ARM error) when it cannot."""
    parsed, region = seed_target(resource_id, GALLERY_TYPE, location)
    with refused_as_value_error(resource_id):
        check_gallery_name(parsed.name)
    return parsed, region
