"""Event hints: what an event for a version write tells its watcher, and when hints can be trusted.

Azure raises ``ResourceWriteSuccess`` (or ``ResourceWriteFailure``) when a version's PUT operation
ends, which for a version is when replication ends; when exactly is not documented, and Event
Grid delivers at least once, in no order, sometimes late (azure-facts.md section 4). So an event
is only ever a *hint* to read the version now: the read decides, and polling stays the guarantee.

Hints can do more than speed up a read, though: a watcher that knows hints arrive can poll only
as a safety net (every ``REPLICATION_POLL_MAX``). It may know that only from evidence, never from
configuration: :class:`HintEvidence` records, per subscription (one system topic per source),
when a hint was last heard, how late hints arrive, and when a version last completed without one.
Hints are trusted while a recent one was heard, they arrive promptly, and none has been missed
since.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from migration.domain.facts import Data

#: Evidence older than this says nothing about the event pipeline today.
TRUST_WINDOW = timedelta(days=1)
#: Hints that arrive later than this (smoothed) are not worth relaxing polling for.
TRUST_DELAY_SECONDS = 60.0
#: Weight of the newest delay in the smoothed delivery delay.
DELAY_WEIGHT = 0.3


class Hint(Data):
    """The event a version write raises on its watcher (``HINT_EVENT``)."""

    #: ``resource_key`` of the version's id.
    version: str
    #: Unique per raise: a watcher tells a new hint from one the Python SDK hands it again.
    nonce: str
    event_type: str = ""
    #: When Azure says the write happened (``eventTime``), if the event said.
    event_time: datetime | None = None

    def written_at(self) -> datetime | None:
        """When the write happened, as an aware time (Event Grid's times are UTC)."""
        if self.event_time is None or self.event_time.tzinfo is not None:
            return self.event_time
        return self.event_time.replace(tzinfo=UTC)

    def delay_seconds(self, now: datetime) -> float:
        """How long the hint took from the write to the watcher (0 when it cannot tell)."""
        written = self.written_at()
        return 0.0 if written is None else max(0.0, (now - written).total_seconds())


class HintEvidence(Data):
    """What hints have shown of one subscription's event pipeline (the ``HINTS_ENTITY`` state)."""

    heard_at: datetime | None = None
    heard: int = 0
    #: Smoothed delivery delay of the hints heard.
    delay_seconds: float = 0.0
    #: When a version last completed with no hint for it while hints were trusted.
    missed_at: datetime | None = None

    def hear(self, at: datetime, delay: float) -> HintEvidence:
        smoothed = (
            delay
            if self.heard == 0
            else (DELAY_WEIGHT * delay + (1 - DELAY_WEIGHT) * self.delay_seconds)
        )
        latest = at if self.heard_at is None else max(at, self.heard_at)
        return self.model_copy(
            update={"heard_at": latest, "heard": self.heard + 1, "delay_seconds": smoothed}
        )

    def miss(self, at: datetime) -> HintEvidence:
        latest = at if self.missed_at is None else max(at, self.missed_at)
        return self.model_copy(update={"missed_at": latest})

    def trusted(self, now: datetime) -> bool:
        if self.heard_at is None or now - self.heard_at > TRUST_WINDOW:
            return False
        if self.missed_at is not None and self.missed_at >= self.heard_at:
            return False
        return self.delay_seconds <= TRUST_DELAY_SECONDS
