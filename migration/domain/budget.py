"""ARM's request budget, as the app paces itself inside it: token buckets and version slots.

Azure Resource Manager meters each subscription, principal and region with token buckets: reads
250 (25 a second back), writes 200 (10 a second), deletes 200 (10 a second) (azure-facts.md
section 3). A migration of hundreds of images would burn through them at once and meet a wall of
429s, so every orchestration asks before it calls: it *reserves* the calls it is about to make,
and waits on a durable timer until the bucket allows them. The buckets are Durable entities
(``entities.budget``) shared by every orchestration of the app; the arithmetic is here, pure.

When ARM throttles anyway (estimates miss; Compute has buckets of its own), the caller tells the
bucket, which then holds every reservation until ARM's ``Retry-After`` has passed: one 429 slows
the whole app rather than failing images. And after each round of calls the caller tells the
bucket the least ARM's ``x-ms-ratelimit-remaining-subscription-*`` headers said was left
(``migration.arm.quota``), which lowers the estimate where it was too hopeful.

Compute meters gallery writes in policies of its own, far tighter than ARM's writes (its
``x-ms-ratelimit-remaining-resource`` header names ``GalleryWrite3Min`` and ``GalleryWrite30Min``;
the emulator models 180 per 3 minutes and 1,200 per 30 minutes), so gallery writes are a kind of
their own: a definition, a version or a version's re-PUT spends one of ARM's writes and one gallery
write. One bucket keeps within both windows even if Compute counts them as sliding windows
(capacity C, refill r: C + 180 r <= 180 and C + 1800 r <= 1200): 50 and 0.63 a second. Hundreds
of versions are then started as fast as Compute allows, not met by a wall of 429s whose retries
lengthen every history.

Version slots bound how many versions the app creates at once in a subscription
(``MAX_CONCURRENT_VERSIONS``): a migration holds slots for a batch while its versions are made
and copied, and starts a batch only once it has them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from migration.domain.facts import Data


class Kind(StrEnum):
    READS = "reads"
    WRITES = "writes"
    DELETES = "deletes"
    GALLERY_WRITES = "galleryWrites"

    @classmethod
    def named(cls, name: str) -> Kind:
        """The kind a setting or a header names, in any case."""
        for kind in cls:
            if kind.value.lower() == name.strip().lower():
                return kind
        raise ValueError(name)


class Bucket(Data):
    """A bucket's size and how fast it refills (ARM's documented defaults)."""

    capacity: float
    refill_per_second: float


# The most calls one reservation asks for: a burst of calls must fit in the bucket at once.
MAX_RESERVATION = 50

DEFAULT_BUCKETS = {
    Kind.READS: Bucket(capacity=250, refill_per_second=25),
    Kind.WRITES: Bucket(capacity=200, refill_per_second=10),
    Kind.DELETES: Bucket(capacity=200, refill_per_second=10),
    Kind.GALLERY_WRITES: Bucket(capacity=50, refill_per_second=0.63),
}


class BucketState(Data):
    """A token bucket over simulated (or real) time: tokens may go below zero, which is a queue
    of reservations waiting for the refill."""

    bucket: Bucket
    tokens: float
    at: datetime
    blocked_until: datetime | None = None

    def _refill(self, now: datetime) -> None:
        if now > self.at:
            elapsed = (now - self.at).total_seconds()
            refilled = self.tokens + elapsed * self.bucket.refill_per_second
            self.tokens = min(self.bucket.capacity, refilled)
            self.at = now

    def reserve(self, count: float, now: datetime) -> datetime:
        """Take ``count`` tokens; the instant from which the calls may be made.

        Calls made at that instant keep, with every earlier reservation, within the bucket:
        at no time more calls than its capacity plus what it refilled since. A reservation
        larger than the capacity cannot be kept in one burst: callers reserve in chunks
        (``MAX_RESERVATION``)."""
        self._refill(now)
        self.tokens -= count
        start = self.at
        if self.blocked_until is not None and self.blocked_until > start:
            start = self.blocked_until
        if self.tokens < 0:
            wait = -self.tokens / self.bucket.refill_per_second
            start = max(start, self.at + timedelta(seconds=wait))
        return start

    def throttled(self, until: datetime, now: datetime) -> None:
        """ARM refused a call until ``until``: nothing passes before then, and the bucket is
        taken as empty (others spent it)."""
        self._refill(now)
        self.blocked_until = max(self.blocked_until or until, until)
        self.tokens = min(self.tokens, 0)

    def observed(self, remaining: int, now: datetime) -> None:
        """ARM said how many calls remain (``x-ms-ratelimit-remaining-subscription-*``)."""
        self._refill(now)
        self.tokens = min(self.tokens, float(remaining))


def budget_key(subscription: str, kind: Kind, principal: str = "app") -> str:
    """An entity key per subscription, principal and kind of call (ARM meters them apart; the
    app has one principal and reaches ARM in one region)."""
    return f"{subscription.lower()}|{principal}|{kind.value}"


class Slots(Data):
    """Version slots of one subscription: who holds how many, and who waits, in order."""

    limit: int
    held: dict[str, int] = Field(default_factory=dict)
    queue: list[str] = Field(default_factory=list)

    def acquire(self, owner: str, count: int) -> bool:
        """Grant ``count`` slots to ``owner`` if they are free and nobody earlier waits."""
        if owner in self.held:
            return True
        count = min(count, self.limit)
        free = self.limit - sum(self.held.values())
        first = not self.queue or self.queue[0] == owner
        if count <= free and first:
            self.held[owner] = count
            if owner in self.queue:
                self.queue.remove(owner)
            return True
        if owner not in self.queue:
            self.queue.append(owner)
        return False

    def release(self, owner: str) -> None:
        self.held.pop(owner, None)
        if owner in self.queue:
            self.queue.remove(owner)
