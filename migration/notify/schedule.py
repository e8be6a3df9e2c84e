"""When an approval tells people: the plan an orchestration runs under, and its notice times.

Pure and deterministic: the fleet approval asks it, with the orchestration's own clock, when to
wake next and what to send then. Round 0 is the message that the approval waits; each later
notice (a reminder, the escalation) is the next round, and its links are new (a link dies once a
decision is recorded with it or with any link of a later round).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from migration.domain.facts import Data


class NoticeKind(StrEnum):
    AWAITING = "approvalAwaited"
    REMINDER = "approvalReminder"
    ESCALATION = "approvalEscalation"
    OUTCOME = "migrationFinished"


class NotifyPlan(Data):
    """What an orchestration knows of notifications (no URLs or keys: those stay in settings,
    which the notify activity reads)."""

    destinations: list[str] = Field(default_factory=list)  # their keys, e.g. "teams:1"
    reminder_every_seconds: float = 0
    escalate_before_seconds: float = 0

    @property
    def enabled(self) -> bool:
        return bool(self.destinations)


@dataclass(frozen=True)
class Notice:
    at: datetime
    kind: NoticeKind


def approval_notices(plan: NotifyPlan, asked_at: datetime, deadline: datetime) -> Iterator[Notice]:
    """Reminders from ``asked_at`` on, then the escalation, all before ``deadline``, in order.

    A reminder that would fall at or after the escalation is left out: the escalation says more.
    """
    escalate_at = None
    if plan.escalate_before_seconds > 0:
        candidate = deadline - timedelta(seconds=plan.escalate_before_seconds)
        escalate_at = candidate if candidate > asked_at else None
    last = escalate_at or deadline
    if plan.reminder_every_seconds > 0:
        step = timedelta(seconds=plan.reminder_every_seconds)
        at = asked_at + step
        while at < last:
            yield Notice(at, NoticeKind.REMINDER)
            at += step
    if escalate_at is not None:
        yield Notice(escalate_at, NoticeKind.ESCALATION)


class NoticeClock:
    """The notices still to come in one approval; which are due, at the orchestration's time."""

    def __init__(self, plan: NotifyPlan, asked_at: datetime, deadline: datetime) -> None:
        self._notices = approval_notices(plan, asked_at, deadline) if plan.enabled else iter(())
        self._next = next(self._notices, None)

    @property
    def next_at(self) -> datetime | None:
        return self._next.at if self._next else None

    def due(self, now: datetime) -> NoticeKind | None:
        """The notice to send at ``now``, if one is due: of several overdue (a host that was
        down), only the latest is sent; the escalation is never skipped for a reminder."""
        found: Notice | None = None
        while self._next is not None and self._next.at <= now:
            found = self._next
            self._next = next(self._notices, None)
        return found.kind if found else None


# The notify orchestrations of a migration: their own prefix, so that listing migrations or
# batches by prefix never spends a page on them.
NOTIFY_PREFIX = "notify-"
NOTIFY_ORCHESTRATOR = "notify"
# Raised to a notify instance whose news is stale (the approval it asks for has ended): it
# tries no more.
STOP_EVENT = "NoticeStop"


def notify_id(migration_id: str, kind: NoticeKind, round_: int | None) -> str:
    """The notify instance of one notice, also the notice's id (``noticeId``)."""
    which = "outcome" if kind == NoticeKind.OUTCOME else f"r{round_ or 0:04d}"
    return f"{NOTIFY_PREFIX}{migration_id}-{which}"


def is_notify_of(migration_id: str, instance_id: str) -> bool:
    """Whether ``instance_id`` is one of ``migration_id``'s notify instances (not another
    migration's whose id merely starts the same)."""
    rest = instance_id.removeprefix(f"{NOTIFY_PREFIX}{migration_id}-")
    return rest != instance_id and (
        rest == "outcome" or (len(rest) == 5 and rest[0] == "r" and rest[1:].isdigit())
    )
