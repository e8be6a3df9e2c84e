"""Inspect and plan in one call, for code that may wait on ARM directly (not orchestrations).

The plan endpoint answers a dry run with it, and the Event Grid starter uses it to tell an
event that applies from one that does not before anything starts. Orchestrations gather the same
facts through activities and call :func:`migration.plan.build_plan` themselves.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from migration.arm import gallery
from migration.arm.errors import ArmError, passing
from migration.arm.gallery import PARALLEL_READS
from migration.domain.facts import ImageFacts, VersionFacts
from migration.domain.plan import Plan, build_plan, existing_targets, sources_of
from migration.domain.request import MigrationRequest


def inspect_and_plan(
    request: MigrationRequest,
    *,
    max_data_disk_gb: int,
    default_publisher: str | None = None,
    skip_migrated: bool = False,
) -> Plan:
    """Read the sources, the gallery and the target definitions' versions; plan every image.

    An image ARM refuses to show (not allowed, say) becomes a problem of that image alone. Raises
    :class:`ArmError` when the gallery cannot be read, or when a read failed in a way that passes
    (throttled, a server error): the caller should try again later rather than take the answer
    as the image's (Event Grid, say, delivers the event again).
    """
    unreadable: dict[str, str] = {}
    images: dict[str, ImageFacts] = {}
    versions: dict[str, list[VersionFacts]] = {}
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        reads = {s.source.lower(): pool.submit(gallery.get_image, s.source) for s in request.images}
        gallery_read = pool.submit(gallery.get_gallery, request.gallery)
        for key, read in reads.items():
            try:
                images[key] = read.result()
            except ArmError as error:
                if passing(error):
                    raise
                unreadable[key] = f"could not read the image: {error.message}"
        facts = gallery_read.result()
        listings = {
            name: pool.submit(gallery.list_versions, request.gallery, name)
            for name in existing_targets(request, images, facts)
        }
        for name, listing in listings.items():
            try:
                versions[name.lower()] = listing.result()
            except ArmError as error:
                if passing(error):
                    raise
                for key in sources_of(request, images, name):
                    unreadable[key] = f"could not list the versions of {name}: {error.message}"
    return build_plan(
        request,
        images,
        facts,
        versions,
        max_data_disk_gb=max_data_disk_gb,
        default_publisher=default_publisher,
        skip_migrated=skip_migrated,
        unreadable=unreadable,
    )
