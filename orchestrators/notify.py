"""Notifications from orchestrations: the ``notify`` sub-orchestration, which delivers one
notice to every destination with retries and backoff, and :class:`Notifier`, which starts them
without waiting and reads how they went.

A notice never blocks or fails a migration: the approval's wait takes decisions while its
notices are out (each notify instance is one more task of its ``wait_any``), a destination that
fails is tried again on durable timers (``migration.notify.sending.RETRY_DELAYS_SECONDS``) and,
once it has failed every try, is named in the migration's problems.
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
from migration.notify.schedule import NOTIFY_ORCHESTRATOR, NoticeKind, notify_id
from migration.notify.sending import RETRY_DELAYS_SECONDS, Deliveries, Delivery

bp = df.Blueprint()

Steps = Generator[Any, Any, Any]
# How a problem about a destination starts (one line per destination, replaced as it changes).
PROBLEM_PREFIX = "notifications to "


@bp.orchestration_trigger(context_name="context", orchestration=NOTIFY_ORCHESTRATOR)
def notify(context: df.DurableOrchestrationContext) -> Steps:
    work = context.get_input()
    pending: list[str] = list(work["destinations"])
    last: dict[str, Delivery] = {}
    for attempt in range(len(RETRY_DELAYS_SECONDS) + 1):
        if attempt:
            wait = timedelta(seconds=RETRY_DELAYS_SECONDS[attempt - 1])
            now: datetime = context.current_utc_datetime
            yield context.create_timer(now + wait)
        try:
            raw = yield context.call_activity(
                names.SEND_NOTIFICATION, {"notice": work["notice"], "destinations": pending}
            )
            results = Deliveries.from_json(raw).results
        except Exception as error:  # the activity itself failed: every destination again
            reason = (str(error).strip().splitlines() or ["failed"])[0][:200]
            results = [
                Delivery(key=k, label=k, ok=False, retry=True, error=reason) for k in pending
            ]
        for result in results:
            last[result.key] = result
        pending = [r.key for r in results if not r.ok and r.retry]
        if not pending:
            break
    return Deliveries(results=list(last.values())).to_json()


class Notifier:
    """Notices of one migration: started as sub-orchestrations, settled when they end."""

    def __init__(
        self, context: df.DurableOrchestrationContext, job: MigrationInput, state: MigrationState
    ) -> None:
        self.context = context
        self.job = job
        self.state = state
        self.pending: list[Any] = []

    @property
    def enabled(self) -> bool:
        return self.job.options.notify.enabled

    def send(self, kind: NoticeKind, round_: int | None = None) -> None:
        """Start telling every destination about the migration now (nothing waits for it)."""
        if not self.enabled:
            return
        approval = self.state.approval
        request = NoticeRequest(
            kind=kind,
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
        work = {"notice": request.to_json(), "destinations": self.job.options.notify.destinations}
        self.pending.append(
            self.context.call_sub_orchestrator(
                NOTIFY_ORCHESTRATOR, work, notify_id(self.job.migration_id, kind, round_)
            )
        )

    def owns(self, task: Any) -> bool:
        return any(task is t for t in self.pending)

    def settle(self, task: Any) -> None:
        """A notice ended: name each destination that failed it in the problems, and clear
        those that got it."""
        self.pending = [t for t in self.pending if t is not task]
        result = task.result
        if not isinstance(result, dict):  # a failed sub-orchestration: nothing to say per place
            return
        for delivery in Deliveries.from_json(result).results:
            line = f"{PROBLEM_PREFIX}{delivery.label} "
            problems = [p for p in self.state.problems if not p.startswith(line)]
            if not delivery.ok:
                problems.append(f"{line}keep failing: {delivery.error}")
            self.state.problems = problems

    def finish(self) -> Steps:
        """Wait for every notice still out, and settle each."""
        while self.pending:
            task = self.pending[0]
            try:
                yield task
            except Exception:  # a notify instance that failed must not fail the migration
                self.pending = self.pending[1:]
                continue
            self.settle(task)

    def outcome(self) -> Steps:
        """Tell everyone how the migration ended, and wait until they were told (or not)."""
        if not self.enabled:
            return
        self.send(NoticeKind.OUTCOME)
        yield from self.finish()
