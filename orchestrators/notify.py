"""Notifications from orchestrations: the ``notify`` orchestration, which delivers one notice
to every destination with retries and backoff, and :class:`Notifier`, which sends a migration's
notices without ever waiting for a destination that does not answer.

A notice never blocks or fails a migration:

- An approval's notices are ``notify`` sub-orchestrations started without waiting: the
  approval's wait takes decisions while they are out (each is one more task of its
  ``wait_any``). A destination that failed every try is named in the problems. When the approval
  ends, the notices still being retried are stopped (``STOP_EVENT``), not waited for: a reminder
  delivered after the decision would only mislead.
- The outcome is tried once, in an activity (each destination at most ``SEND_TIMEOUT_SECONDS``),
  and the migration ends; a destination that failed is named in the problems, and the activity
  hands its further tries to a ``notify`` instance of its own (``notify-<id>-outcome``) that
  outlives the migration.

Retries wait on durable timers (``migration.notify.sending.RETRY_DELAYS_SECONDS``). Every try
of one notice carries the same ``noticeId`` (the notify instance's id), so a receiver can drop a
copy (an activity may run twice).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.domain.state import MigrationState
from migration.durable.jobs import MigrationInput
from migration.notify.notice import ApprovalCounts, NoticeRequest
from migration.notify.schedule import NOTIFY_ORCHESTRATOR, STOP_EVENT, NoticeKind, notify_id
from migration.notify.sending import (
    PROBLEM_PREFIX,
    RETRY_DELAYS_SECONDS,
    Deliveries,
    Delivery,
    with_deliveries,
)
from orchestrators.timers import wait_any

bp = df.Blueprint()

Steps = Generator[Any, Any, Any]


@bp.orchestration_trigger(context_name="context", orchestration=NOTIFY_ORCHESTRATOR)
def notify(context: df.DurableOrchestrationContext) -> Steps:
    """Try each destination until it takes the notice, a try refuses it for good, the tries
    run out, or ``STOP_EVENT`` says the news is stale. ``tried``: tries made before this
    instance started (the outcome's first, made by the migration)."""
    work = context.get_input()
    pending: list[str] = list(work["destinations"])
    last: dict[str, Delivery] = {}
    stop: Any = None
    for attempt in range(int(work.get("tried", 0)), len(RETRY_DELAYS_SECONDS) + 1):
        if attempt:
            stop = stop or context.wait_for_external_event(STOP_EVENT)
            now: datetime = context.current_utc_datetime
            wake_at = now + timedelta(seconds=RETRY_DELAYS_SECONDS[attempt - 1])
            if (yield from wait_any(context, [stop], wake_at)) is stop:
                break
        results = yield from _try(context, work["notice"], pending)
        for result in results:
            last[result.key] = result
        pending = [r.key for r in results if not r.ok and r.retry]
        if not pending:
            break
    return Deliveries(results=list(last.values())).to_json()


def _try(
    context: df.DurableOrchestrationContext,
    notice: dict[str, Any],
    destinations: list[str],
    retry_as: str | None = None,
) -> Generator[Any, Any, list[Delivery]]:
    """One try of every destination (``retry_as``: the notify instance the activity starts for
    those worth another)."""
    work: dict[str, Any] = {"notice": notice, "destinations": destinations}
    if retry_as is not None:
        work["retryAs"] = retry_as
    try:
        raw = yield context.call_activity(names.SEND_NOTIFICATION, work)
        return Deliveries.from_json(raw).results
    except Exception as error:  # the activity itself failed
        reason = (str(error).strip().splitlines() or ["failed"])[0][:200]
        retry = retry_as is None  # a notify instance tries again; the outcome's first try not
        return [Delivery(key=k, label=k, ok=False, retry=retry, error=reason) for k in destinations]


class Notifier:
    """Notices of one migration: approval notices started as sub-orchestrations and settled
    when they end; the outcome tried once (see the module's docstring)."""

    def __init__(
        self, context: df.DurableOrchestrationContext, job: MigrationInput, state: MigrationState
    ) -> None:
        self.context = context
        self.job = job
        self.state = state
        # Each notice still out: its task, and its notify instance.
        self.out: list[tuple[Any, str]] = []

    @property
    def enabled(self) -> bool:
        return self.job.options.notify.enabled

    @property
    def pending(self) -> list[Any]:
        return [task for task, _ in self.out]

    def request(self, kind: NoticeKind, round_: int | None = None) -> NoticeRequest:
        approval = self.state.approval
        return NoticeRequest(
            kind=kind,
            notice_id=notify_id(self.job.migration_id, kind, round_),
            migration_id=self.job.migration_id,
            gallery=self.state.gallery,
            trigger=self.state.trigger,
            delete_source=self.state.delete_source,
            batches=self.state.batches,
            image_count=self.state.images,
            at=self.context.current_utc_datetime,
            summary=self.state.summary,
            approval=ApprovalCounts(
                undecided=approval.undecided,
                approved=approval.approved,
                rejected=approval.rejected,
                timed_out=approval.timed_out,
            )
            if approval.required
            else None,
            deadline=approval.deadline if kind != NoticeKind.OUTCOME else None,
            round=round_,
            problems=[p for p in self.state.problems if not p.startswith(PROBLEM_PREFIX)],
        )

    def send(self, kind: NoticeKind, round_: int | None = None) -> None:
        """Start telling every destination about the approval now (nothing waits for it)."""
        if not self.enabled:
            return
        request = self.request(kind, round_)
        work = {"notice": request.to_json(), "destinations": self.job.options.notify.destinations}
        task = self.context.call_sub_orchestrator(NOTIFY_ORCHESTRATOR, work, request.notice_id)
        self.out.append((task, request.notice_id))

    def owns(self, task: Any) -> bool:
        return any(task is t for t, _ in self.out)

    def settle(self, task: Any) -> None:
        """A notice ended: name each destination that failed it in the problems, and clear
        those that got it."""
        self.out = [(t, i) for t, i in self.out if t is not task]
        result = task.result
        if isinstance(result, dict):  # else it failed: nothing to say per destination
            self.report(Deliveries.from_json(result).results)

    def report(self, results: list[Delivery], retried_later: bool = False) -> None:
        self.state.problems = with_deliveries(self.state.problems, results, retried_later)

    def stop(self) -> Steps:
        """The approval ended: stop every notice still being retried, without waiting."""
        if not self.out:
            return
        events = [{"instance": i, "name": STOP_EVENT, "payload": None} for _, i in self.out]
        self.out = []
        yield self.context.call_activity(names.SEND_EVENTS, events)

    def outcome(self) -> Steps:
        """Tell everyone how the migration ended: one try, then the migration may end (further
        tries are the activity's ``notify-<id>-outcome`` instance's)."""
        if not self.enabled:
            return
        request = self.request(NoticeKind.OUTCOME)
        destinations = self.job.options.notify.destinations
        results = yield from _try(self.context, request.to_json(), destinations, request.notice_id)
        self.report(results, retried_later=True)
