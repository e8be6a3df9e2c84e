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

from collections.abc import Collection
from concurrent.futures import Future
from datetime import datetime
from typing import TypeVar

from migration.arm import galleries, images
from migration.arm.errors import ArmError, Throttled, passing
from migration.arm.quota import ContextPool
from migration.arm.retry import TRANSIENT_WAIT
from migration.arm.versions import PARALLEL_READS
from migration.domain.facts import GALLERY_READ, EncryptionSetFacts, GalleryFacts, Inspection, Wait
from migration.domain.ids import parse_image_id
from migration.domain.plan import Plan, PlanRules, build_plan, existing_targets, sources_of
from migration.domain.request import MigrationRequest

T = TypeVar("T")


def inspect(request: MigrationRequest, known: Inspection | None = None) -> Inspection:
    """Read what ``known`` (if given) still lacks, and return the whole inspection so far.

    An image ARM refuses to show (not allowed, say) becomes a problem of that image alone, and a
    gallery it refuses to show a problem of the whole request. Besides the images, the gallery
    and the versions: the disk encryption sets the request names, and the scale sets of each
    source subscription (to report which images are still in use).
    """
    found = known.model_copy(deep=True) if known else Inspection()
    found.waits = {}
    with ContextPool(max_workers=PARALLEL_READS) as pool:
        reads = {
            s.source.lower(): pool.submit(images.get_image, s.source)
            for s in request.images
            if s.source.lower() not in found.images and s.source.lower() not in found.unreadable
        }
        gallery_read = (
            pool.submit(galleries.get_gallery, request.gallery) if not found.gallery else None
        )
        sets = {
            set_id.lower(): pool.submit(galleries.get_encryption_set, set_id)
            for set_id in request.encryption_set_ids()
            if set_id.lower() not in found.encryption_sets
        }
        subscriptions = sorted(
            {parse_image_id(s.source).subscription.lower() for s in request.images}
            - set(found.scale_sets_listed)
            - set(found.scale_sets_unlisted)
        )
        users = {sub: pool.submit(images.scale_sets_by_image, sub) for sub in subscriptions}
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
        for key, set_read in sets.items():
            if (error := _failure(set_read)) is None:
                found.encryption_sets[key] = set_read.result()
            elif passing(error):
                found.waits[f"encryptionSet:{key}"] = _wait(error)
            else:
                found.encryption_sets[key] = _unreadable_set(key)
        for sub, listing_read in users.items():
            if (error := _failure(listing_read)) is None:
                for image, scale_sets in listing_read.result().items():
                    found.scale_sets.setdefault(image, []).extend(scale_sets)
                found.scale_sets_listed.append(sub)
            elif passing(error):
                found.waits[f"scaleSets:{sub}"] = _wait(error)
            else:
                # Not allowed to list them, say: the plan says it cannot tell, and the delete
                # step, which lists them again, keeps the source if it still cannot.
                found.scale_sets_unlisted[sub] = error.message
        if found.gallery is None:
            return found
        listings = {
            name: pool.submit(galleries.list_versions, request.gallery, name)
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
    rules: PlanRules,
    now: datetime,
    *,
    skip_migrated: Collection[str] | bool = False,
) -> tuple[Inspection, Plan]:
    """A complete :func:`inspect`, then the plan (a dry run; a starter deciding to start)."""
    inspection = complete(inspect(request))
    plan = build_plan(request, inspection, rules, now=now, skip_migrated=skip_migrated)
    return inspection, plan


def _unreadable_set(set_id: str) -> EncryptionSetFacts:
    # Refused (not allowed to read it, say): the plan reports it as not found.
    return EncryptionSetFacts(id=set_id, exists=False)


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
