"""Inspect, then plan: one sequence for the dry run, the Event Grid starter and the orchestration.

:func:`inspect` reads what planning needs (every source image, the gallery with its definitions,
and the versions of each existing target definition) into an :class:`Inspection`, plain data that
crosses an activity boundary; :func:`migration.domain.plan.build_plan` then decides, in pure code.
The orchestration runs :func:`inspect` in an activity (or takes the inspection its starter already
made, so that an Event Grid start reads the image once) and plans from the recorded result, so a
replay decides the same.

A read that fails for a reason that passes (throttled, a server error) is not an answer: it is
kept in ``Inspection.waits`` and the next :func:`inspect` with the same ``known`` inspection reads
only what is still missing. So a request that needs more reads than ARM's bucket holds at once
still gets inspected, a few reads at a time.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from migration.arm import gallery
from migration.arm.errors import ArmError, Throttled, passing
from migration.arm.gallery import PARALLEL_READS
from migration.arm.retry import TRANSIENT_WAIT
from migration.domain.facts import GALLERY_READ, GalleryFacts, Inspection, Wait
from migration.domain.plan import Plan, build_plan, existing_targets, sources_of
from migration.domain.request import MigrationRequest

T = TypeVar("T")


def inspect(request: MigrationRequest, known: Inspection | None = None) -> Inspection:
    """Read what ``known`` (if given) still lacks, and return the whole inspection so far.

    An image ARM refuses to show (not allowed, say) becomes a problem of that image alone, and a
    gallery it refuses to show a problem of the whole request.
    """
    found = known.model_copy(deep=True) if known else Inspection()
    found.waits = {}
    with ThreadPoolExecutor(max_workers=PARALLEL_READS) as pool:
        reads = {
            s.source.lower(): pool.submit(gallery.get_image, s.source)
            for s in request.images
            if s.source.lower() not in found.images and s.source.lower() not in found.unreadable
        }
        gallery_read = (
            pool.submit(gallery.get_gallery, request.gallery) if not found.gallery else None
        )
        for key, read in reads.items():
            if (error := _failure(read)) is None:
                found.images[key] = read.result()
            elif passing(error):
                found.waits[f"image:{key}"] = _wait(error)
            else:
                found.unreadable[key] = f"could not read the image: {error.message}"
        if gallery_read is not None:
            if (error := _failure(gallery_read)) is None:
                found.gallery = gallery_read.result()
            elif passing(error):
                found.waits[GALLERY_READ] = _wait(error)
            else:
                found.gallery = GalleryFacts(id=request.gallery, exists=False, error=error.message)
        if found.gallery is None:
            return found
        listings = {
            name: pool.submit(gallery.list_versions, request.gallery, name)
            for name in existing_targets(request, found.images, found.gallery)
            if name.lower() not in found.versions
        }
        for name, listing in listings.items():
            if (error := _failure(listing)) is None:
                found.versions[name.lower()] = listing.result()
            elif passing(error):
                found.waits[f"versions:{name.lower()}"] = _wait(error)
            else:
                for key in sources_of(request, found.images, name):
                    found.unreadable[key] = (
                        f"could not list the versions of {name}: {error.message}"
                    )
    return found


def complete(inspection: Inspection) -> Inspection:
    """``inspection`` if nothing is left to read, else raise what stopped a read.

    For callers that cannot wait on a durable timer (a dry run, a starter): they try again later
    (Event Grid delivers the event again).
    """
    if inspection.complete:
        return inspection
    error = Throttled if inspection.throttled else ArmError
    raise error(
        f"could not read everything the plan needs: {inspection.describe_waits()}",
        status=429 if inspection.throttled else 503,
        code="TooManyRequests" if inspection.throttled else "ServiceUnavailable",
        retry_after=inspection.longest_wait,
    )


def inspect_and_plan(
    request: MigrationRequest,
    *,
    max_data_disk_gb: int,
    default_publisher: str | None = None,
    skip_migrated: bool = False,
) -> tuple[Inspection, Plan]:
    """A complete :func:`inspect`, then the plan (a dry run; a starter deciding to start)."""
    inspection = complete(inspect(request))
    plan = build_plan(
        request,
        inspection,
        max_data_disk_gb=max_data_disk_gb,
        default_publisher=default_publisher,
        skip_migrated=skip_migrated,
    )
    return inspection, plan


def _failure(read: Future[T]) -> ArmError | None:
    error = read.exception()
    if error is None:
        return None
    if isinstance(error, ArmError):
        return error
    raise error


def _wait(error: ArmError) -> Wait:
    return Wait(
        seconds=error.retry_after if error.retry_after is not None else TRANSIENT_WAIT,
        throttled=isinstance(error, Throttled),
        message=error.message,
    )
