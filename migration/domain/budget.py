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
