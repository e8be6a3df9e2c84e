"""Image versions: list a definition's, get (with or without replication status), PUT, DELETE.

A new version's PUT is accepted when its source is a ``Succeeded`` managed image in the version's
region that no other replication is reading; its operation ends when replication does
(``service/replicating.py``). A re-PUT is idempotent when nothing changed; otherwise it retries
failed regions, starts added ones (copying a completed replica when the version has one) and
drops removed ones. The rules are in ``rules/versions.py`` (the body, what a re-PUT may change),
``rules/sources.py`` (the source) and ``rules/names.py`` (the name).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from emulator import ids
from emulator.bodies import VersionBody, parse_body
from emulator.errors import resource_not_found
from emulator.resources import Definition, ManagedImage, RegionReplication, Version
from emulator.routing import DEFINITION, GALLERY_API_VERSIONS, VERSION, Route
from emulator.rules.common import being_deleted, check_not_moved
from emulator.rules.encryption import check_encryption, check_encryption_change
from emulator.rules.names import check_version_name
from emulator.rules.sources import (
    check_source_id,
    source_in_use,
    source_not_found,
    source_not_ready,
    source_overloaded,
)
from emulator.rules.versions import (
    TargetSpec,
    VersionSpec,
    check_deletable,
    check_version_change,
    removed_regions,
    version_busy,
    version_spec,
    with_defaults,
)
from emulator.service import replicating
from emulator.service.core import CAPS, ArmResult, Call, Handler, Kind, by_key, in_flight

PUT = "gallery_image_versions.create_or_update"
DELETE = "gallery_image_versions.delete"
#: What a version takes from its PUT's body besides its regions (the same names on both).
_METADATA = (
    "tags",
    "replica_count",
    "storage_account_type",
    "exclude_from_latest",
    "end_of_life_date",
    "replication_mode",
    "allow_deletion_of_replicated_locations",
    "block_deletion_before_end_of_life",
    "publishing_extras",
    "properties_extras",
)


class Versions(Kind):
    routes = (
        Route(
            DEFINITION + "/versions",
            "galleries/images/versions",
            GALLERY_API_VERSIONS,
            {"GET": "gallery_image_versions.list_by_gallery_image"},
        ),
        Route(
            VERSION,
            "galleries/images/versions",
            GALLERY_API_VERSIONS,
            {"GET": "gallery_image_versions.get", "PUT": PUT, "DELETE": DELETE},
        ),
    )

    def handlers(self) -> dict[str, Handler]:
        return {
            "gallery_image_versions.list_by_gallery_image": self.list_all,
            "gallery_image_versions.get": self.get,
            PUT: self.put,
            DELETE: self.delete,
        }

    def list_all(self, call: Call) -> list[dict[str, Any]]:
        parent = self._parent(call)
        return [
            version.render(call.now, expand_replication=False)
            for version in by_key(self.core.versions.values())
            if version.definition_key == parent.key
        ]

    def get(self, call: Call) -> ArmResult:
        self._parent(call)
        key = ids.key(_version_id(call))
        found = self.core.versions.get(key)
        if found is None or self.core.faults.hides(key, call.now):
            raise resource_not_found("galleries/images/versions", _name_path(call), call.rg)
        expand = call.query.get("$expand", "").lower() == "replicationstatus"
        return ArmResult(200, found.render(call.now, expand))

    def put(self, call: Call) -> ArmResult:
        name, now = call.params["galleryImageVersionName"], call.now
        check_version_name(name)
        body, document = parse_body(VersionBody, call.raw)
        definition = self._parent(call)
        spec = version_spec(body, document, now, call.api_version)
        resource_id = _version_id(call)
        existing = self.core.versions.get(ids.key(resource_id))
        if existing is not None:
            check_not_moved(existing.location, spec.location, _name_path(call), call.rg)
            published = existing.published_date or existing.created_at
            return self._update(
                existing, definition, with_defaults(spec, call.api_version, published), call
            )
        spec = with_defaults(spec, call.api_version, now)
        image = self._source_image(spec)
        if image.state != "Succeeded":
            raise source_not_ready(image)
        self._check_encryption(spec, call.sub, image.data_disks)
        self._check_source_free(image)
        version = Version(
            resource_id=resource_id,
            name=name,
            location=spec.location.name,
            tags=spec.tags,
            created_at=now,
            state="Creating",
            definition_key=definition.key,
            source_id=spec.source_id,
            source_key=image.key,
            os_disk_gb=image.os_disk_gb,
            data_disks=image.data_disks,
            published_date=now,
        )
        _apply_metadata(version, spec)
        version.write_request = call.write_request
        version.regions = [
            _encrypted(
                replicating.start_region(self.core, version, target, image, definition, now),
                target,
            )
            for target in spec.targets
        ]
        self.core.versions[version.key] = version
        self.core.faults.note_created(version.key, now)
        operation = self.core.start_operation(version, CAPS, call.sub, PUT, now)
        self.core.event(now, "created", version.resource_id, detail={"source": image.resource_id})
        replicating.schedule(self.core, version, version.regions, now)
        return ArmResult(201, version.render(now, False), operation)

    def delete(self, call: Call) -> ArmResult:
        self._parent(call)
        versions = self.core.versions
        version = versions.get(ids.key(_version_id(call)))
        if version is None:
            return ArmResult(204, None)
        check_deletable(version, call.now)
        return self.core.deleting(versions, version, CAPS, call.sub, DELETE, call.now)

    def _parent(self, call: Call) -> Definition:
        gallery, definition = call.params["galleryName"], call.params["galleryImageName"]
        return self.core.require_definition(call.sub, call.rg, gallery, definition, call.now)

    def _update(
        self, version: Version, definition: Definition, spec: VersionSpec, call: Call
    ) -> ArmResult:
        now = call.now
        if version.state == "Deleting":
            raise being_deleted("Gallery image version", version.name)
        check_version_change(version, spec)
        current = {region.region.name: region for region in version.regions}
        check_encryption_change(current, ((t.region, t.encryption) for t in spec.targets))
        self._check_encryption(spec, call.sub, version.data_disks)
        desired = {target.region.name: target for target in spec.targets}
        restart = [
            target
            for name, target in desired.items()
            if name not in current
            or current[name].replicas != target.replicas
            or current[name].state == "Failed"
        ]
        changed = (
            bool(removed_regions(version, spec))
            or _metadata(version) != _metadata(spec)
            or any(
                name not in current or current[name].replicas != target.replicas
                for name, target in desired.items()
            )
            or any(
                current[name].exclude_from_latest != target.exclude_from_latest
                for name, target in desired.items()
                if name in current
            )
        )
        if not changed and version.state != "Failed":
            # ARM's PUT is idempotent: the same body again changes nothing.
            return ArmResult(200, version.render(now, False), in_flight(version))
        if version.unfinished:
            raise version_busy(version)
        has_copy = any(region.state == "Completed" for region in version.regions)
        image = None if has_copy else self.core.images.get(version.source_key)
        if image is not None and restart:
            self._check_source_free(image)
        version.generation += 1
        version.failure = None
        version.write_request = call.write_request
        _apply_metadata(version, spec)
        fresh = {
            target.region.name: _encrypted(
                replicating.start_region(
                    self.core, version, target, image, definition, now, from_copy=has_copy
                ),
                target,
            )
            for target in restart
        }
        version.regions = [
            fresh.get(target.region.name) or current[target.region.name] for target in spec.targets
        ]
        for name, target in desired.items():
            if name not in fresh:
                current[name].exclude_from_latest = target.exclude_from_latest
        version.state = "Updating"
        update_seconds = self.core.config.timings.version_update_seconds
        version.ready_after = now + timedelta(seconds=update_seconds)
        operation = self.core.start_operation(version, CAPS, call.sub, PUT, now)
        self.core.event(now, "updated", version.resource_id)
        replicating.schedule(self.core, version, list(fresh.values()), now)
        return ArmResult(200, version.render(now, False), operation)

    def _check_encryption(
        self, spec: VersionSpec, sub: str, data_disks: tuple[tuple[int, int], ...]
    ) -> None:
        check_encryption(
            ((target.region, target.encryption) for target in spec.targets),
            sub,
            (lun for lun, _ in data_disks),
            self.core.disk_encryption_sets.get,
        )

    def _check_source_free(self, image: ManagedImage) -> None:
        """The source can be read now: not overloaded (a fault), not read by another version."""
        faults = self.core.faults
        if faults.source_overloaded(image.key):
            raise source_overloaded(image, faults.config.overloaded_source_retry_after_seconds)
        if self.core.versions_copying(image):
            raise source_in_use(image)

    def _source_image(self, spec: VersionSpec) -> ManagedImage:
        check_source_id(spec.source_id)
        image = self.core.images.get(ids.key(spec.source_id))
        # Virtual machines and gallery versions as sources are not modelled: they are never found.
        if image is None or image.state == "Deleting" or image.location != spec.location.name:
            raise source_not_found(spec.source_id)
        return image


def _encrypted(region: RegionReplication, target: TargetSpec) -> RegionReplication:
    """``region`` carrying the encryption its target states."""
    region.encryption = target.encryption.render() if target.encryption is not None else None
    return region


def _version_id(call: Call) -> str:
    params = call.params
    return ids.version_id(
        call.sub,
        call.rg,
        params["galleryName"],
        params["galleryImageName"],
        params["galleryImageVersionName"],
    )


def _name_path(call: Call) -> str:
    """``gallery/definition/version``, as ARM names a version in its errors."""
    params = call.params
    return (
        f"{params['galleryName']}/{params['galleryImageName']}/{params['galleryImageVersionName']}"
    )


def _metadata(source: Version | VersionSpec) -> tuple[Any, ...]:
    return tuple(getattr(source, name) for name in _METADATA)


def _apply_metadata(version: Version, spec: VersionSpec) -> None:
    for name in _METADATA:
        # Shallow copies, so that the version's dicts are its own.
        setattr(version, name, copy.copy(getattr(spec, name)))
