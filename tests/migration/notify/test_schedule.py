"""When an approval tells people: reminders, the escalation, and what is due at a given time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from migration.notify.schedule import (
    NoticeClock,
    NoticeKind,
    NotifyPlan,
    approval_notices,
    is_notify_of,
    notify_id,
)

ASKED = datetime(2030, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def plan(every_hours: float = 0, escalate_hours: float = 0) -> NotifyPlan:
    return NotifyPlan(
        destinations=["teams:1"],
        reminder_every_seconds=every_hours * 3600,
        escalate_before_seconds=escalate_hours * 3600,
    )


def times(p: NotifyPlan, deadline_hours: float) -> list[tuple[float, str]]:
    return [
        ((n.at - ASKED) / HOUR, n.kind.value)
        for n in approval_notices(p, ASKED, ASKED + deadline_hours * HOUR)
    ]


def test_reminders_stop_before_the_escalation() -> None:
    assert times(plan(12, 6), 48) == [
        (12, "approvalReminder"),
        (24, "approvalReminder"),
        (36, "approvalReminder"),
        (42, "approvalEscalation"),
    ]
    assert times(plan(12, 0), 36) == [(12, "approvalReminder"), (24, "approvalReminder")]
    assert times(plan(0, 6), 48) == [(42, "approvalEscalation")]
    # An escalation that would come before the approval is asked for is none.
    assert times(plan(0, 60), 48) == []


def test_a_clock_sends_only_the_latest_of_several_overdue_notices() -> None:
    clock = NoticeClock(plan(12, 6), ASKED, ASKED + 48 * HOUR)
    assert clock.next_at == ASKED + 12 * HOUR
    assert clock.due(ASKED + 11 * HOUR) is None
    assert clock.due(ASKED + 12 * HOUR) == NoticeKind.REMINDER
    # The host was down from 13 h to 43 h: one notice, the escalation.
    assert clock.due(ASKED + 43 * HOUR) == NoticeKind.ESCALATION
    assert clock.due(ASKED + 47 * HOUR) is None
    assert [clock.next_at] == [None]


def test_without_destinations_nothing_is_scheduled() -> None:
    clock = NoticeClock(NotifyPlan(reminder_every_seconds=3600), ASKED, ASKED + 48 * HOUR)
    assert clock.next_at is None


def test_each_notice_has_its_own_instance() -> None:
    ids = {
        notify_id("mig-1", NoticeKind.AWAITING, 0),
        notify_id("mig-1", NoticeKind.REMINDER, 1),
        notify_id("mig-1", NoticeKind.OUTCOME, None),
    }
    assert ids == {"notify-mig-1-r0000", "notify-mig-1-r0001", "notify-mig-1-outcome"}


def test_a_migrations_notify_instances_are_told_from_anothers() -> None:
    assert is_notify_of("mig-1", notify_id("mig-1", NoticeKind.OUTCOME, None))
    assert is_notify_of("mig-1", notify_id("mig-1", NoticeKind.REMINDER, 12))
    # "mig-1-2" starts as "mig-1" does: its notices are not mig-1's.
    assert not is_notify_of("mig-1", notify_id("mig-1-2", NoticeKind.OUTCOME, None))
    assert not is_notify_of("mig-1", notify_id("mig-1-2", NoticeKind.AWAITING, 0))
    assert not is_notify_of("mig-1", "batch-mig-1-0")
