"""Image definitions: list a gallery's, get, PUT (create, or update what may change), DELETE.

Their rules are in ``rules/definitions.py`` (the body, what a re-PUT may change, a unique
identifier), ``rules/names.py`` (the name) and ``rules/common.py``; a definition with versions
cannot be deleted. A cache-lag fault may hide a just-created definition (``Core.definition``).
"""

from __future__ import annotations

from typing import Any

from emulator import ids
from emulator.bodies import DefinitionBody, parse_body
from emulator.errors import nested_resources_exist, resource_not_found
from emulator.resources import Definition
from emulator.routing import DEFINITION, GALLERY, GALLERY_API_VERSIONS, Route
from emulator.rules.common import being_deleted, check_not_moved
from emulator.rules.definitions import (
    check_definition_change,
    check_identifier_free,
    definition_spec,
)
from emulator.rules.names import check_definition_name
from emulator.service.core import CAPS, ArmResult, Call, Handler, Kind, by_key, in_flight

PUT = "gallery_images.create_or_update"
DELETE = "gallery_images.delete"


class Definitions(Kind):
    routes = (
        Route(
            GALLERY + "/images",
            "galleries/images",
            GALLERY_API_VERSIONS,
            {"GET": "gallery_images.list_by_gallery"},
        ),
        Route(
            DEFINITION,
            "galleries/images",
            GALLERY_API_VERSIONS,
            {"GET": "gallery_images.get", "PUT": PUT, "DELETE": DELETE},
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {
            "gallery_images.list_by_gallery": self.list_all,
            "gallery_images.get": self.get,
            PUT: self.put,
            DELETE: self.delete,
        }

    def list_all(self, call: Call) -> list[dict[str, Any]]:
        parent = self.core.require_gallery(call.sub, call.rg, call.params["galleryName"])
        return [
            definition.render()
            for definition in by_key(self.core.definitions.values())
            if definition.gallery_key == parent.key
        ]

    def get(self, call: Call) -> ArmResult:
        sub, rg, gallery, name = _names(call)
        self.core.require_gallery(sub, rg, gallery)
        found = self.core.definition(sub, rg, gallery, name, call.now)
        if found is None:
            raise resource_not_found("galleries/images", f"{gallery}/{name}", rg)
        return ArmResult(200, found.render())

    def put(self, call: Call) -> ArmResult:
        sub, rg, gallery, name = _names(call)
        now = call.now
        check_definition_name(name)
        body, document = parse_body(DefinitionBody, call.raw)
        parent = self.core.require_gallery(sub, rg, gallery)
        resource_id = ids.definition_id(sub, rg, gallery, name)
        seconds = self.core.config.timings.definition_seconds
        # Not Core.definition: a cache-lag fault hides a new definition from its GET and its
        # children's requests, not from a re-PUT of it.
        existing = self.core.definitions.get(ids.key(resource_id))
        spec = definition_spec(body, document, now, call.api_version, existing)
        if existing is not None:
            check_not_moved(existing.location, spec.location, f"{gallery}/{name}", rg)
            if existing.state == "Deleting":
                raise being_deleted("Gallery image", name)
            check_definition_change(existing, spec)
            if existing.properties == spec.properties and existing.tags == spec.tags:
                return ArmResult(200, existing.render(), in_flight(existing))
            existing.properties, existing.tags = spec.properties, spec.tags
            existing.features = spec.features
            operation = self.core.updating(existing, CAPS, sub, PUT, seconds, now)
            return ArmResult(200, existing.render(), operation)
        siblings = self.core.definitions.values()
        check_identifier_free(
            spec, (other for other in siblings if other.gallery_key == parent.key)
        )
        definition = Definition(
            resource_id=resource_id,
            name=name,
            location=spec.location.name,
            tags=spec.tags,
            created_at=now,
            state="Creating",
            gallery_key=parent.key,
            properties=spec.properties,
            os_type=spec.os_type,
            os_state=spec.os_state,
            hyper_v_generation=spec.hyper_v_generation,
            identifier=spec.identifier,
            features=spec.features,
        )
        self.core.definitions[definition.key] = definition
        self.core.faults.note_created(definition.key, now)
        operation = self.core.creating(definition, CAPS, sub, PUT, seconds, now)
        return ArmResult(201, definition.render(), operation)

    def delete(self, call: Call) -> ArmResult:
        sub, rg, gallery, name = _names(call)
        self.core.require_gallery(sub, rg, gallery)
        definitions = self.core.definitions
        definition = definitions.get(ids.key(ids.definition_id(sub, rg, gallery, name)))
        if definition is None:
            return ArmResult(204, None)
        versions = self.core.versions.values()
        if any(version.definition_key == definition.key for version in versions):
            raise nested_resources_exist()
        return self.core.deleting(definitions, definition, CAPS, sub, DELETE, call.now)


def _names(call: Call) -> tuple[str, str, str, str]:
    """Subscription, resource group, gallery and definition of a call on a definition."""
    return call.sub, call.rg, call.params["galleryName"], call.params["galleryImageName"]
