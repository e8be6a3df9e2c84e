"""ARM's budget as the app keeps it: token buckets whose reservations never overdraw ARM's own
bucket, throttling that holds everyone, and version slots granted in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migration.domain.budget import DEFAULT_BUCKETS, Bucket, BucketState, Kind, Slots

T0 = datetime(2030, 1, 1, tzinfo=UTC)
BUCKET = Bucket(capacity=10, refill_per_second=2)


class ArmBucket:
    """ARM's side: a bucket that refuses a call when empty (it never holds more than full)."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket, self.tokens, self.at = bucket, bucket.capacity, T0

    def call(self, count: float, at: datetime) -> bool:
        elapsed = (at - self.at).total_seconds()
        self.tokens = min(
            self.bucket.capacity, self.tokens + elapsed * self.bucket.refill_per_second
        )
        self.at = at
        if self.tokens + 1e-9 < count:
            return False
        self.tokens -= count
        return True


@given(
    st.lists(
        st.tuples(st.integers(1, 10), st.floats(0, 20, allow_nan=False)), min_size=1, max_size=40
    )
)
def test_calls_made_when_their_reservation_allows_are_never_throttled(
    asks: list[tuple[int, float]],
) -> None:
    state = BucketState(bucket=BUCKET, tokens=BUCKET.capacity, at=T0)
    now = T0
    calls = []
    for count, gap in asks:
        now += timedelta(seconds=gap)
        calls.append((state.reserve(count, now), count))
    arm = ArmBucket(BUCKET)
    # Calls are made in the order of their start (reservations are handed out in order).
    for start, count in sorted(calls, key=lambda c: c[0]):
        assert arm.call(count, start), (start, count)


def test_a_burst_waits_for_the_refill() -> None:
    state = BucketState(bucket=BUCKET, tokens=BUCKET.capacity, at=T0)
    assert state.reserve(10, T0) == T0
    assert state.reserve(4, T0) == T0 + timedelta(seconds=2)


def test_a_throttled_call_holds_every_reservation_until_arm_says() -> None:
    state = BucketState(bucket=BUCKET, tokens=BUCKET.capacity, at=T0)
    state.throttled(T0 + timedelta(seconds=30), T0)
    assert state.reserve(1, T0 + timedelta(seconds=1)) == T0 + timedelta(seconds=30)
    # Others spent the bucket: it is taken as empty then, and refills from there.
    assert state.tokens == 2 * 1 - 1


def test_slots_are_granted_in_order_and_freed() -> None:
    slots = Slots(limit=30)
    assert slots.acquire("a", 20)
    assert not slots.acquire("b", 20)
    # A smaller batch behind a waiting one waits its turn (no starvation of the big one).
    assert not slots.acquire("c", 5)
    assert slots.acquire("a", 20), "asking again for what one holds is granted"
    slots.release("a")
    assert not slots.acquire("c", 5)
    assert slots.acquire("b", 20)
    assert slots.acquire("c", 5)
    assert sum(slots.held.values()) == 25
    assert Slots(limit=10).acquire("huge", 50), "a batch over the limit takes all the slots"


def test_what_arm_says_remains_lowers_the_estimate_and_never_raises_it() -> None:
    state = BucketState(bucket=BUCKET, tokens=BUCKET.capacity, at=T0)
    state.observed(3, T0)
    assert state.reserve(4, T0) == T0 + timedelta(seconds=0.5)
    state.observed(100, T0 + timedelta(seconds=1))
    assert state.tokens <= BUCKET.capacity - 4 + 2


def test_gallery_writes_keep_within_both_of_computes_windows_even_if_they_slide() -> None:
    """The default gallery-writes bucket admits at most C + r*T calls in any T seconds: within
    Compute's 180 per 3 minutes and 1,200 per 30 minutes however it counts them."""
    bucket = DEFAULT_BUCKETS[Kind.GALLERY_WRITES]
    for seconds, allowed in ((180, 180), (1800, 1200)):
        assert bucket.capacity + bucket.refill_per_second * seconds <= allowed
    # And not needlessly slower: within 10 % of the 30-minute window's pace.
    assert bucket.refill_per_second >= 0.9 * 1200 / 1800


def test_kinds_are_named_in_any_case() -> None:
    assert Kind.named("GalleryWrites") is Kind.GALLERY_WRITES
    assert Kind.named(" reads ") is Kind.READS
    with pytest.raises(ValueError, match="galleries"):
        Kind.named("galleries")
