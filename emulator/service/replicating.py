"""A version's replication: each target region on the timeline, and the version's state from them.

Every target region replicates in parallel from the version's PUT; its duration and progress
profile come from ``emulator/replication.py`` (the model), its failure from a source rule
(``rules/sources.py``, checked here as Azure's backend does, after the PUT was accepted) or a
``failing_regions`` fault, at the instant its progress reaches the fault's ``at_progress``.
When a region is due it completes or fails, and the version becomes ``Succeeded`` once all have
completed (and a metadata update's ``ready_after`` has passed) or ``Failed`` at the first failure.
"""

from __future__ import annotations

from datetime import datetime

from emulator.errors import ArmErrorResponse
from emulator.regions import find_region
from emulator.replication import region_profile, replication_seconds
from emulator.resources import Definition, ManagedImage, RegionReplication, Version
from emulator.rules.sources import oversized_source, source_incompatibility, source_not_found
from emulator.rules.versions import TargetSpec, replication_failed
from emulator.service.core import Action, Core


def start_region(
    core: Core,
    version: Version,
    target: TargetSpec,
    image: ManagedImage | None,
    definition: Definition,
    now: datetime,
    from_copy: bool = False,
) -> RegionReplication:
    """A region that starts replicating now, failing if the source or a fault says so.

    ``from_copy``: the version already holds a completed replica, which a new region copies
    (so a version can gain regions after its managed image is deleted)."""
    config = core.config
    source_region = find_region(version.location)
    assert source_region is not None  # locations are validated before anything is stored
    size_gb = version.os_disk_gb + sum(size for _, size in version.data_disks)
    model, seed = config.replication, config.seed
    duration = replication_seconds(
        model,
        seed=seed,
        version_key=version.key,
        region=target.region,
        source_region=source_region,
        size_gb=size_gb,
        replicas=target.replicas,
    )
    profile = region_profile(model, seed=seed, version_key=version.key, region=target.region)
    region = RegionReplication(
        region=target.region,
        replicas=target.replicas,
        storage_account_type=target.storage_account_type,
        exclude_from_latest=target.exclude_from_latest,
        start=now,
        duration=duration * profile.stretch,
        curve=profile.curve,
        profile=profile.name,
    )
    region.from_source = not from_copy
    failure: ArmErrorResponse | None
    if from_copy:
        failure = None
    elif image is None:
        failure = source_not_found(version.source_id)
    else:
        failure = source_incompatibility(definition, image) or oversized_source(
            image, config.max_data_disk_gb
        )
    if failure is not None:
        # Azure accepts the PUT and fails the operation: these are checked by the backend.
        region.fail_after = 0.0
        region.fail_code, region.fail_message = failure.code, failure.message
        version.failure = failure.as_operation_error()
        return region
    fault = core.faults.failing_region(target.region.name)
    if fault is not None:
        # Whatever the profile, the region fails the moment its progress reaches at_progress.
        region.fail_after = region.curve.seconds_to(fault.at_progress, region.duration)
        region.fail_progress = fault.at_progress
        region.fail_code, region.fail_message = fault.code, fault.message
    return region


def schedule(core: Core, version: Version, regions: list[RegionReplication], now: datetime) -> None:
    """Put ``regions`` (just started) and the version's ``ready_after`` on the timeline."""
    for region in regions:
        detail = {"profile": region.profile, "seconds": region.duration}
        core.event(now, "replicating", version.resource_id, region.region.name, detail)
        core.at(region.due, _region_due(core, version, region))
    if version.ready_after is not None:
        core.at(version.ready_after, lambda when: _check_version(core, version, when))


def _region_due(core: Core, version: Version, region: RegionReplication) -> Action:
    def due(when: datetime) -> None:
        if (
            core.versions.get(version.key) is not version
            or version.state == "Deleting"
            or region not in version.regions
            or region.state != "Replicating"
        ):
            return
        region.finished_at = when
        if region.fail_after is not None:
            region.state = "Failed"
            core.event(
                when,
                "region_failed",
                version.resource_id,
                region.region.name,
                {"code": region.fail_code, "message": region.fail_message},
            )
        else:
            region.state = "Completed"
            core.event(when, "replicated", version.resource_id, region.region.name)
        _check_version(core, version, when)

    return due


def _check_version(core: Core, version: Version, when: datetime) -> None:
    if not version.unfinished or core.versions.get(version.key) is not version:
        return
    failed = [region for region in version.regions if region.state == "Failed"]
    if failed:
        version.state = "Failed"
        error = version.failure or replication_failed(failed[0])
        if version.operation is not None:
            version.operation.finish(when, "Failed", error)
        core.event(when, "failed", version.resource_id, detail=dict(error))
        _announce(core, version, when, "Failed")
        return
    if all(region.state == "Completed" for region in version.regions) and (
        version.ready_after is None or when >= version.ready_after
    ):
        version.state = "Succeeded"
        if version.operation is not None:
            version.operation.finish(when, "Succeeded")
        core.event(when, "succeeded", version.resource_id)
        _announce(core, version, when, "Succeeded")


def _announce(core: Core, version: Version, when: datetime, status: str) -> None:
    """The version's PUT operation ended: what a system topic raises for the write, then."""
    # Azure documents ResourceWriteSuccess as raised when a create or update succeeds; for a
    # version that is when replication ends (its operation's end), so the event comes then.
    core.written(
        version.render(when, expand_replication=False), when, version.write_request, status
    )
