"""The compute service: the resources, their async operations, and a timeline of what happens when.

State is derived from the clock lazily. Work that takes time (provisioning, replicating a region,
deleting) is put on a timeline of actions due at simulated instants; :meth:`ComputeService.settle`
runs every action that is due, in time order, each stamped with its own due time. Every request
settles first, so a virtual clock advanced by anyone (a test, a Durable host in the same process)
moves replication forward without a background task, and the state-change log records when
things happened rather than when someone looked.

All methods take the service's lock: the in-process API may be called from any thread.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from emulator import ids
from emulator.bodies import (
    DefinitionBody,
    GalleryBody,
    ImageBody,
    ImagePatchBody,
    VersionBody,
    parse_body,
)
from emulator.config import EmulatorConfig
from emulator.errors import (
    ArmErrorResponse,
    nested_resources_exist,
    operation_not_found,
    parent_not_found,
    property_change_not_allowed,
    resource_not_found,
)
from emulator.faults import FaultInjector
from emulator.records import Recorder, StateEvent
from emulator.regions import Region, find_region
from emulator.replication import replication_seconds
from emulator.resources import (
    Definition,
    Gallery,
    ManagedImage,
    Operation,
    RegionReplication,
    Tracked,
    Version,
)
from emulator.rules import common as common_rules
from emulator.rules import definitions as definitions_rules
from emulator.rules import images as images_rules
from emulator.rules import names as names_rules
from emulator.rules import sources as sources_rules
from emulator.rules import versions as versions_rules
from emulator.rules.common import being_deleted
from emulator.rules.galleries import gallery_spec

Action = Callable[[datetime], None]
TrackedT = TypeVar("TrackedT", bound=Tracked)
ImageWritten = Callable[[ManagedImage, datetime], None]

CAPS = "capsOperations"
COMPUTE = "operations"


@dataclass
class ArmResult:
    """A successful answer: status, body, and the async operation to point the client at."""

    status: int
    body: dict[str, Any] | None
    operation: Operation | None = None


class ComputeService:
    def __init__(
        self,
        config: EmulatorConfig,
        recorder: Recorder,
        faults: FaultInjector,
        on_image_written: ImageWritten | None = None,
    ) -> None:
        self.config = config
        self.lock = threading.RLock()
        self._recorder = recorder
        self._faults = faults
        self._on_image_written = on_image_written
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.galleries: dict[str, Gallery] = {}
            self.definitions: dict[str, Definition] = {}
            self.versions: dict[str, Version] = {}
            self.images: dict[str, ManagedImage] = {}
            self.operations: dict[str, Operation] = {}
            self._timeline: list[tuple[datetime, int, Action]] = []
            self._order = itertools.count()
            self._rng = random.Random(self.config.seed)

    # Time ---------------------------------------------------------------------------------------

    def settle(self, now: datetime) -> None:
        """Run every timeline action due at or before ``now``, oldest first."""
        with self.lock:
            while self._timeline and self._timeline[0][0] <= now:
                when, _, action = heapq.heappop(self._timeline)
                action(when)

    def _at(self, when: datetime, action: Action) -> None:
        heapq.heappush(self._timeline, (when, next(self._order), action))

    def next_due(self) -> datetime | None:
        """When the next state change is due (for hosts that advance a virtual clock)."""
        with self.lock:
            return self._timeline[0][0] if self._timeline else None

    def _event(
        self,
        when: datetime,
        kind: str,
        resource_id: str,
        region: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self._recorder.event(StateEvent(when, kind, resource_id, region, detail))

    def _operation(
        self,
        family: str,
        subscription: str,
        location: str,
        kind: str,
        resource_id: str,
        now: datetime,
    ) -> Operation:
        op_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        operation = Operation(op_id, family, subscription, location, kind, resource_id, now)
        self.operations[op_id] = operation
        return operation

    def _provision_after(self, resource: Tracked, seconds: float, now: datetime) -> None:
        """``resource`` is Succeeded after ``seconds``, unless a later PUT or DELETE supersedes."""
        generation = resource.generation

        def provisioned(when: datetime) -> None:
            if resource.generation != generation:
                return
            resource.state = "Succeeded"
            if resource.operation is not None:
                resource.operation.finish(when, "Succeeded")
            self._event(when, "provisioned", resource.resource_id)
            if isinstance(resource, ManagedImage):
                self._image_written(resource, when)

        self._at(now + timedelta(seconds=seconds), provisioned)

    def _delete_after(
        self, store: dict[str, Any], resource: Tracked, seconds: float, now: datetime
    ) -> None:
        generation = resource.generation

        def deleted(when: datetime) -> None:
            if resource.generation != generation or store.get(resource.key) is not resource:
                return
            del store[resource.key]
            if resource.operation is not None:
                resource.operation.finish(when, "Succeeded")
            self._event(when, "deleted", resource.resource_id)

        self._at(now + timedelta(seconds=seconds), deleted)

    def _image_written(self, image: ManagedImage, when: datetime) -> None:
        if self._on_image_written is not None:
            self._on_image_written(image, when)

    # Lookups ------------------------------------------------------------------------------------

    def _gallery(self, sub: str, rg: str, gallery: str) -> Gallery | None:
        return self.galleries.get(ids.key(ids.gallery_id(sub, rg, gallery)))

    def _definition(
        self, sub: str, rg: str, gallery: str, name: str, now: datetime
    ) -> Definition | None:
        found = self.definitions.get(ids.key(ids.definition_id(sub, rg, gallery, name)))
        if found is None or self._faults.hides(found.key, now):
            return None
        return found

    def _require_gallery(self, sub: str, rg: str, gallery: str) -> Gallery:
        found = self._gallery(sub, rg, gallery)
        if found is None:
            raise parent_not_found(gallery)
        return found

    def _require_definition(
        self, sub: str, rg: str, gallery: str, name: str, now: datetime
    ) -> Definition:
        self._require_gallery(sub, rg, gallery)
        found = self._definition(sub, rg, gallery, name, now)
        if found is None:
            raise parent_not_found(f"{gallery}/{name}")
        return found

    def location_of(self, path_key: str) -> str | None:
        """The location of the resource at ``path_key`` (an id key), if it exists."""
        with self.lock:
            for store in (self.galleries, self.definitions, self.versions, self.images):
                found = store.get(path_key)
                if found is not None:
                    return str(found.location)
            return None

    # Galleries ----------------------------------------------------------------------------------

    def list_galleries(self, sub: str, rg: str | None, now: datetime) -> list[dict[str, Any]]:
        with self.lock:
            self.settle(now)
            return [gallery.render() for gallery in _within(self.galleries.values(), sub, rg)]

    def get_gallery(self, sub: str, rg: str, name: str, now: datetime) -> dict[str, Any]:
        with self.lock:
            self.settle(now)
            found = self._gallery(sub, rg, name)
            if found is None:
                raise resource_not_found("galleries", name, rg)
            return found.render()

    def put_gallery(self, sub: str, rg: str, name: str, raw: bytes, now: datetime) -> ArmResult:
        names_rules.check_gallery_name(name)
        body, document = parse_body(GalleryBody, raw)
        spec = gallery_spec(body, document)
        location, properties, tags = spec.location, spec.properties, spec.tags
        with self.lock:
            self.settle(now)
            existing = self._gallery(sub, rg, name)
            if existing is not None:
                common_rules.check_not_moved(existing.location, location, name, rg)
                if existing.state == "Deleting":
                    raise being_deleted("Gallery", name)
                if existing.properties == properties and existing.tags == tags:
                    return ArmResult(200, existing.render())
                existing.properties, existing.tags = properties, tags
                return self._updating(existing, CAPS, sub, "galleries.create_or_update", now)
            gallery = Gallery(
                resource_id=ids.gallery_id(sub, rg, name),
                name=name,
                location=location.name,
                tags=tags,
                created_at=now,
                state="Creating",
                subscription=sub,
                resource_group=rg,
                properties=properties,
            )
            self.galleries[gallery.key] = gallery
            return self._creating(gallery, CAPS, sub, "galleries.create_or_update", now)

    def _creating(
        self, resource: Tracked, family: str, sub: str, kind: str, now: datetime
    ) -> ArmResult:
        resource.operation = self._operation(
            family, sub, resource.location, kind, resource.resource_id, now
        )
        self._event(now, "created", resource.resource_id)
        self._provision_after(resource, self._seconds_for(resource), now)
        return ArmResult(201, self._render(resource, now), resource.operation)

    def _updating(
        self, resource: Tracked, family: str, sub: str, kind: str, now: datetime
    ) -> ArmResult:
        self._preempt(resource, now)
        resource.generation += 1
        resource.state = "Updating"
        resource.operation = self._operation(
            family, sub, resource.location, kind, resource.resource_id, now
        )
        self._event(now, "updated", resource.resource_id)
        self._provision_after(resource, self._seconds_for(resource), now)
        return ArmResult(200, self._render(resource, now), resource.operation)

    @staticmethod
    def _preempt(resource: Tracked, now: datetime) -> None:
        """End the operation a newer PUT or DELETE replaces, so no poller on it waits forever."""
        if resource.operation is not None and resource.operation.status == "InProgress":
            resource.operation.finish(
                now,
                "Canceled",
                {
                    "code": "OperationPreempted",
                    "message": "Operation execution has been preempted by a more recent operation.",
                },
            )

    def _seconds_for(self, resource: Tracked) -> float:
        timings = self.config.timings
        if isinstance(resource, Gallery):
            return timings.gallery_seconds
        if isinstance(resource, Definition):
            return timings.definition_seconds
        return timings.image_seconds

    @staticmethod
    def _render(resource: Tracked, now: datetime) -> dict[str, Any]:
        if isinstance(resource, Version):
            return resource.render(now, expand_replication=False)
        if isinstance(resource, Gallery | Definition | ManagedImage):
            return resource.render()
        raise TypeError(resource)

    def _deleting(
        self,
        store: dict[str, Any],
        resource: Tracked,
        family: str,
        sub: str,
        kind: str,
        now: datetime,
    ) -> ArmResult:
        if resource.state == "Deleting" and resource.operation is not None:
            return ArmResult(202, None, resource.operation)
        self._preempt(resource, now)
        resource.generation += 1
        resource.state = "Deleting"
        resource.operation = self._operation(
            family, sub, resource.location, kind, resource.resource_id, now
        )
        self._event(now, "deleting", resource.resource_id)
        self._delete_after(store, resource, self.config.timings.delete_seconds, now)
        return ArmResult(202, None, resource.operation)

    def delete_gallery(self, sub: str, rg: str, name: str, now: datetime) -> ArmResult:
        with self.lock:
            self.settle(now)
            gallery = self._gallery(sub, rg, name)
            if gallery is None:
                return ArmResult(204, None)
            prefix = gallery.key + "/"
            if any(key.startswith(prefix) for key in self.definitions):
                raise nested_resources_exist()
            return self._deleting(self.galleries, gallery, CAPS, sub, "galleries.delete", now)

    # Definitions --------------------------------------------------------------------------------

    def list_definitions(
        self, sub: str, rg: str, gallery: str, now: datetime
    ) -> list[dict[str, Any]]:
        with self.lock:
            self.settle(now)
            parent = self._require_gallery(sub, rg, gallery)
            return [
                definition.render()
                for definition in _sorted(self.definitions.values())
                if definition.gallery_key == parent.key
            ]

    def get_definition(
        self, sub: str, rg: str, gallery: str, name: str, now: datetime
    ) -> dict[str, Any]:
        with self.lock:
            self.settle(now)
            self._require_gallery(sub, rg, gallery)
            found = self._definition(sub, rg, gallery, name, now)
            if found is None:
                raise resource_not_found("galleries/images", f"{gallery}/{name}", rg)
            return found.render()

    def put_definition(
        self, sub: str, rg: str, gallery: str, name: str, raw: bytes, now: datetime
    ) -> ArmResult:
        names_rules.check_definition_name(name)
        body, document = parse_body(DefinitionBody, raw)
        with self.lock:
            self.settle(now)
            parent = self._require_gallery(sub, rg, gallery)
            spec = definitions_rules.definition_spec(body, document, now)
            resource_id = ids.definition_id(sub, rg, gallery, name)
            existing = self.definitions.get(ids.key(resource_id))
            if existing is not None:
                common_rules.check_not_moved(
                    existing.location, spec.location, f"{gallery}/{name}", rg
                )
                if existing.state == "Deleting":
                    raise being_deleted("Gallery image", name)
                definitions_rules.check_definition_change(existing, spec)
                if existing.properties == spec.properties and existing.tags == spec.tags:
                    return ArmResult(200, existing.render(), _in_flight(existing))
                existing.properties, existing.tags = spec.properties, spec.tags
                existing.features = spec.features
                return self._updating(existing, CAPS, sub, "gallery_images.create_or_update", now)
            definitions_rules.check_identifier_free(
                spec,
                (other for other in self.definitions.values() if other.gallery_key == parent.key),
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
            self.definitions[definition.key] = definition
            self._faults.note_created(definition.key, now)
            return self._creating(definition, CAPS, sub, "gallery_images.create_or_update", now)

    def delete_definition(
        self, sub: str, rg: str, gallery: str, name: str, now: datetime
    ) -> ArmResult:
        with self.lock:
            self.settle(now)
            self._require_gallery(sub, rg, gallery)
            definition = self.definitions.get(ids.key(ids.definition_id(sub, rg, gallery, name)))
            if definition is None:
                return ArmResult(204, None)
            if any(version.definition_key == definition.key for version in self.versions.values()):
                raise nested_resources_exist()
            return self._deleting(
                self.definitions, definition, CAPS, sub, "gallery_images.delete", now
            )

    # Versions -----------------------------------------------------------------------------------

    def list_versions(
        self, sub: str, rg: str, gallery: str, definition: str, now: datetime
    ) -> list[dict[str, Any]]:
        with self.lock:
            self.settle(now)
            parent = self._require_definition(sub, rg, gallery, definition, now)
            return [
                version.render(now, expand_replication=False)
                for version in _sorted(self.versions.values())
                if version.definition_key == parent.key
            ]

    def get_version(
        self,
        sub: str,
        rg: str,
        gallery: str,
        definition: str,
        name: str,
        now: datetime,
        *,
        expand_replication: bool,
    ) -> dict[str, Any]:
        with self.lock:
            self.settle(now)
            self._require_definition(sub, rg, gallery, definition, now)
            key = ids.key(ids.version_id(sub, rg, gallery, definition, name))
            found = self.versions.get(key)
            if found is None or self._faults.hides(key, now):
                raise resource_not_found(
                    "galleries/images/versions", f"{gallery}/{definition}/{name}", rg
                )
            return found.render(now, expand_replication)

    def put_version(
        self,
        sub: str,
        rg: str,
        gallery: str,
        definition_name: str,
        name: str,
        raw: bytes,
        now: datetime,
        api_version: str,
    ) -> ArmResult:
        names_rules.check_version_name(name)
        body, document = parse_body(VersionBody, raw)
        with self.lock:
            self.settle(now)
            definition = self._require_definition(sub, rg, gallery, definition_name, now)
            spec = versions_rules.version_spec(body, document, now, api_version)
            resource_id = ids.version_id(sub, rg, gallery, definition_name, name)
            existing = self.versions.get(ids.key(resource_id))
            if existing is not None:
                common_rules.check_not_moved(
                    existing.location, spec.location, f"{gallery}/{definition_name}/{name}", rg
                )
                return self._update_version(existing, definition, spec, now, sub)
            image = self._source_image(spec)
            if image.state != "Succeeded":
                raise sources_rules.source_not_ready(image)
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
            version.regions = [
                self._replicate(version, target, image, definition, now) for target in spec.targets
            ]
            self.versions[version.key] = version
            self._faults.note_created(version.key, now)
            version.operation = self._operation(
                CAPS,
                sub,
                version.location,
                "gallery_image_versions.create_or_update",
                version.resource_id,
                now,
            )
            self._event(now, "created", version.resource_id, detail={"source": image.resource_id})
            self._schedule_regions(version, version.regions, now)
            return ArmResult(201, version.render(now, False), version.operation)

    def _check_source_free(self, image: ManagedImage) -> None:
        if any(
            version.source_key == image.key and version.copying_source
            for version in self.versions.values()
        ):
            raise sources_rules.source_in_use(image)

    def _source_image(self, spec: versions_rules.VersionSpec) -> ManagedImage:
        sources_rules.check_source_id(spec.source_id)
        image = self.images.get(ids.key(spec.source_id))
        # Virtual machines and gallery versions as sources are not modelled: they are never found.
        if image is None or image.state == "Deleting" or image.location != spec.location.name:
            raise sources_rules.source_not_found(spec.source_id)
        return image

    def _replicate(
        self,
        version: Version,
        target: versions_rules.TargetSpec,
        image: ManagedImage | None,
        definition: Definition,
        now: datetime,
        from_copy: bool = False,
    ) -> RegionReplication:
        """A region that starts replicating now, failing if the source or a fault says so.

        ``from_copy``: the version already holds a completed replica, which a new region copies
        (so a version can gain regions after its managed image is deleted)."""
        source_region = find_region(version.location)
        assert source_region is not None  # locations are validated before anything is stored
        size_gb = version.os_disk_gb + sum(size for _, size in version.data_disks)
        region = RegionReplication(
            region=target.region,
            replicas=target.replicas,
            storage_account_type=target.storage_account_type,
            exclude_from_latest=target.exclude_from_latest,
            start=now,
            duration=replication_seconds(
                self.config.replication,
                seed=self.config.seed,
                version_key=version.key,
                region=target.region,
                source_region=source_region,
                size_gb=size_gb,
                replicas=target.replicas,
            ),
        )
        region.from_source = not from_copy
        failure: ArmErrorResponse | None
        if from_copy:
            failure = None
        elif image is None:
            failure = sources_rules.source_not_found(version.source_id)
        else:
            failure = sources_rules.source_incompatibility(
                definition, image
            ) or sources_rules.oversized_source(image, self.config.max_data_disk_gb)
        if failure is not None:
            # Azure accepts the PUT and fails the operation: these are checked by the backend.
            region.fail_after = 0.0
            region.fail_code, region.fail_message = failure.code, failure.message
            version.failure = failure.as_operation_error()
            return region
        fault = self._faults.failing_region(target.region.name)
        if fault is not None:
            region.fail_after = region.duration * fault.at_progress / 100
            region.fail_code, region.fail_message = fault.code, fault.message
        return region

    def _schedule_regions(
        self, version: Version, regions: list[RegionReplication], now: datetime
    ) -> None:
        for region in regions:
            self._event(now, "replicating", version.resource_id, region.region.name)
            self._at(region.due, self._region_due(version, region))
        if version.ready_after is not None:
            self._at(version.ready_after, lambda when: self._check_version(version, when))

    def _region_due(self, version: Version, region: RegionReplication) -> Action:
        def due(when: datetime) -> None:
            if (
                self.versions.get(version.key) is not version
                or version.state == "Deleting"
                or region not in version.regions
                or region.state != "Replicating"
            ):
                return
            region.finished_at = when
            if region.fail_after is not None:
                region.state = "Failed"
                self._event(
                    when,
                    "region_failed",
                    version.resource_id,
                    region.region.name,
                    {"code": region.fail_code, "message": region.fail_message},
                )
            else:
                region.state = "Completed"
                self._event(when, "replicated", version.resource_id, region.region.name)
            self._check_version(version, when)

        return due

    def _check_version(self, version: Version, when: datetime) -> None:
        if not version.unfinished or self.versions.get(version.key) is not version:
            return
        failed = [region for region in version.regions if region.state == "Failed"]
        if failed:
            version.state = "Failed"
            error = version.failure or versions_rules.replication_failed(failed[0])
            if version.operation is not None:
                version.operation.finish(when, "Failed", error)
            self._event(when, "failed", version.resource_id, detail=dict(error))
            return
        if all(region.state == "Completed" for region in version.regions) and (
            version.ready_after is None or when >= version.ready_after
        ):
            version.state = "Succeeded"
            if version.operation is not None:
                version.operation.finish(when, "Succeeded")
            self._event(when, "succeeded", version.resource_id)

    def _update_version(
        self,
        version: Version,
        definition: Definition,
        spec: versions_rules.VersionSpec,
        now: datetime,
        sub: str,
    ) -> ArmResult:
        if version.state == "Deleting":
            raise being_deleted("Gallery image version", version.name)
        versions_rules.check_version_change(version, spec)
        current = {region.region.name: region for region in version.regions}
        desired = {target.region.name: target for target in spec.targets}
        removed = versions_rules.removed_regions(version, spec)
        restart = [
            target
            for name, target in desired.items()
            if name not in current
            or current[name].replicas != target.replicas
            or current[name].state == "Failed"
        ]
        changed = (
            bool(removed)
            or _metadata(version) != _metadata_of(spec)
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
            return ArmResult(200, version.render(now, False), _in_flight(version))
        if version.unfinished:
            raise versions_rules.version_busy(version)
        has_copy = any(region.state == "Completed" for region in version.regions)
        image = None if has_copy else self.images.get(version.source_key)
        if image is not None and restart:
            self._check_source_free(image)
        version.generation += 1
        version.failure = None
        _apply_metadata(version, spec)
        fresh = {
            target.region.name: self._replicate(
                version, target, image, definition, now, from_copy=has_copy
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
        version.ready_after = now + timedelta(seconds=self.config.timings.version_update_seconds)
        version.operation = self._operation(
            CAPS,
            sub,
            version.location,
            "gallery_image_versions.create_or_update",
            version.resource_id,
            now,
        )
        self._event(now, "updated", version.resource_id)
        self._schedule_regions(version, list(fresh.values()), now)
        return ArmResult(200, version.render(now, False), version.operation)

    def delete_version(
        self, sub: str, rg: str, gallery: str, definition: str, name: str, now: datetime
    ) -> ArmResult:
        with self.lock:
            self.settle(now)
            self._require_definition(sub, rg, gallery, definition, now)
            version = self.versions.get(ids.key(ids.version_id(sub, rg, gallery, definition, name)))
            if version is None:
                return ArmResult(204, None)
            return self._deleting(
                self.versions, version, CAPS, sub, "gallery_image_versions.delete", now
            )

    # Managed images -----------------------------------------------------------------------------

    def list_images(self, sub: str, rg: str | None, now: datetime) -> list[dict[str, Any]]:
        with self.lock:
            self.settle(now)
            return [image.render() for image in _within(self.images.values(), sub, rg)]

    def get_image(self, sub: str, rg: str, name: str, now: datetime) -> dict[str, Any]:
        with self.lock:
            self.settle(now)
            found = self.images.get(ids.key(ids.image_id(sub, rg, name)))
            if found is None:
                raise resource_not_found("images", name, rg)
            return found.render()

    def put_image(
        self,
        sub: str,
        rg: str,
        name: str,
        raw: bytes,
        now: datetime,
        write_request: dict[str, str] | None = None,
    ) -> ArmResult:
        names_rules.check_image_name(name)
        body, document = parse_body(ImageBody, raw)
        spec = images_rules.image_spec(body, document)
        with self.lock:
            self.settle(now)
            resource_id = ids.image_id(sub, rg, name)
            existing = self.images.get(ids.key(resource_id))
            if existing is not None:
                common_rules.check_not_moved(existing.location, spec.location, name, rg)
                if existing.state == "Deleting":
                    raise being_deleted("Image", name)
                if existing.properties != spec.properties:
                    raise property_change_not_allowed("properties.storageProfile")
                if existing.tags == spec.tags:
                    return ArmResult(200, existing.render())
                existing.tags = spec.tags
                existing.write_request = write_request
                return self._updating(existing, COMPUTE, sub, "images.create_or_update", now)
            image = self._new_image(resource_id, name, sub, rg, spec, now)
            image.write_request = write_request
            self.images[image.key] = image
            if spec.provisioning_state is None:
                return self._creating(image, COMPUTE, sub, "images.create_or_update", now)
            image.operation = self._operation(
                COMPUTE, sub, image.location, "images.create_or_update", image.resource_id, now
            )
            self._event(now, "created", image.resource_id)
            self._seeded_state(image, now)
            return ArmResult(201, image.render(), image.operation)

    @staticmethod
    def _new_image(
        resource_id: str, name: str, sub: str, rg: str, spec: images_rules.ImageSpec, now: datetime
    ) -> ManagedImage:
        return ManagedImage(
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
            self._image_written(image, now)

    def patch_image(
        self,
        sub: str,
        rg: str,
        name: str,
        raw: bytes,
        now: datetime,
        write_request: dict[str, str] | None = None,
    ) -> ArmResult:
        body, _ = parse_body(ImagePatchBody, raw)
        with self.lock:
            self.settle(now)
            image = self.images.get(ids.key(ids.image_id(sub, rg, name)))
            if image is None:
                raise resource_not_found("images", name, rg)
            if body.tags is not None:
                image.tags = dict(body.tags)
            self._event(now, "updated", image.resource_id)
            image.write_request = write_request
            self._image_written(image, now)
            return ArmResult(200, image.render())

    def delete_image(self, sub: str, rg: str, name: str, now: datetime) -> ArmResult:
        with self.lock:
            self.settle(now)
            image = self.images.get(ids.key(ids.image_id(sub, rg, name)))
            if image is None:
                return ArmResult(204, None)
            feeding = [
                version.resource_id
                for version in self.versions.values()
                if version.source_key == image.key and version.copying_source
            ]
            result = self._deleting(self.images, image, COMPUTE, sub, "images.delete", now)
            if feeding:
                # Not an error in Azure, but what a migration must never do: make it visible.
                self._event(
                    now,
                    "source_deleted_while_replicating",
                    image.resource_id,
                    detail={"versions": feeding},
                )
            return result

    # Operations ---------------------------------------------------------------------------------

    def get_operation(
        self, sub: str, location: str, family: str, operation_id: str, now: datetime
    ) -> Operation:
        with self.lock:
            self.settle(now)
            operation = self.operations.get(operation_id.lower())
            region = find_region(location)
            if (
                operation is None
                or operation.family.lower() != family.lower()
                or operation.subscription.lower() != sub.lower()
                or region is None
                or region.name != operation.location
            ):
                raise operation_not_found(operation_id, location)
            return operation

    # Seeding ------------------------------------------------------------------------------------

    def seed_gallery(
        self,
        resource_id: str,
        location: str,
        properties: dict[str, Any],
        tags: dict[str, str],
        now: datetime,
    ) -> dict[str, Any]:
        parsed, region = seed_gallery_target(resource_id, location)
        assert parsed.resource_group is not None  # checked by seed_gallery_target
        with self.lock:
            self.settle(now)
            gallery = Gallery(
                resource_id=ids.gallery_id(parsed.subscription, parsed.resource_group, parsed.name),
                name=parsed.name,
                location=region.name,
                tags=dict(tags),
                created_at=now,
                state="Succeeded",
                subscription=parsed.subscription,
                resource_group=parsed.resource_group,
                properties=dict(properties),
            )
            self.galleries[gallery.key] = gallery
            self._event(now, "created", gallery.resource_id, detail={"seeded": True})
            return gallery.render()

    def seed_image(
        self, resource_id: str, spec_body: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        sub, rg, name, spec = seed_image_spec(resource_id, spec_body)
        with self.lock:
            self.settle(now)
            image = self._new_image(ids.image_id(sub, rg, name), name, sub, rg, spec, now)
            self.images[image.key] = image
            self._event(now, "created", image.resource_id, detail={"seeded": True})
            self._seeded_state(image, now)
            return image.render()


def seed_gallery_target(resource_id: str, location: str) -> tuple[ids.ParsedId, Region]:
    """Where a seeded gallery goes; ``ValueError`` (never an ARM error) when it cannot."""
    parsed = ids.parse_id(resource_id)
    if (
        parsed is None
        or parsed.resource_group is None
        or parsed.resource_type.lower() != "microsoft.compute/galleries"
    ):
        raise ValueError(f"not a gallery id: {resource_id}")
    try:
        names_rules.check_gallery_name(parsed.name)
        return parsed, common_rules.check_location(location, "Microsoft.Compute/galleries")
    except ArmErrorResponse as exc:
        raise ValueError(f"{resource_id}: {exc.message}") from exc


def seed_image_spec(
    resource_id: str, spec_body: dict[str, Any]
) -> tuple[str, str, str, images_rules.ImageSpec]:
    """A seeded image's subscription, group, name and spec; ``ValueError`` when it is invalid."""
    parsed = ids.parse_image_id(resource_id)
    if parsed is None:
        raise ValueError(f"not a managed image id: {resource_id}")
    sub, rg, name = parsed
    try:
        names_rules.check_image_name(name)
        return (
            sub,
            rg,
            name,
            images_rules.image_spec(ImageBody.model_validate(spec_body), spec_body),
        )
    except ArmErrorResponse as exc:
        raise ValueError(f"{resource_id}: {exc.message}") from exc


def _in_flight(resource: Tracked) -> Operation | None:
    operation = resource.operation
    return operation if operation is not None and operation.status == "InProgress" else None


def _sorted(resources: Iterable[TrackedT]) -> list[TrackedT]:
    return sorted(resources, key=lambda resource: resource.key)


def _within(resources: Iterable[TrackedT], sub: str, rg: str | None) -> list[TrackedT]:
    """The resources under a subscription, or a resource group of it, in a stable order."""
    scope = ids.resource_group_id(sub, rg) if rg else f"/subscriptions/{sub}"
    prefix = ids.key(scope) + "/"
    return [resource for resource in _sorted(resources) if resource.key.startswith(prefix)]


def _metadata(version: Version) -> tuple[Any, ...]:
    return (
        version.tags,
        version.replica_count,
        version.storage_account_type,
        version.exclude_from_latest,
        version.end_of_life_date,
        version.replication_mode,
        version.allow_deletion_of_replicated_locations,
        version.publishing_extras,
        version.properties_extras,
    )


def _metadata_of(spec: versions_rules.VersionSpec) -> tuple[Any, ...]:
    return (
        spec.tags,
        spec.replica_count,
        spec.storage_account_type,
        spec.exclude_from_latest,
        spec.end_of_life_date,
        spec.replication_mode,
        spec.allow_deletion_of_replicated_locations,
        spec.publishing_extras,
        spec.properties_extras,
    )


def _apply_metadata(version: Version, spec: versions_rules.VersionSpec) -> None:
    version.tags = dict(spec.tags)
    version.replica_count = spec.replica_count
    version.storage_account_type = spec.storage_account_type
    version.exclude_from_latest = spec.exclude_from_latest
    version.end_of_life_date = spec.end_of_life_date
    version.replication_mode = spec.replication_mode
    version.allow_deletion_of_replicated_locations = spec.allow_deletion_of_replicated_locations
    version.publishing_extras = dict(spec.publishing_extras)
    version.properties_extras = dict(spec.properties_extras)
