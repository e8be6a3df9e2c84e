"""The one approval of a migration, over every image that replicated.

One wait, with one deadline (a chain of timers of at most six days), in which decisions arrive
as ``Approval`` events: each approves or rejects all images still undecided, or the ones it
names. Each image is decided once (the first decision naming it counts); each decision is handed
to the batches of the images it decided, numbered per batch (``Decision-<n>``), so a batch
deletes approved sources as they come. At the deadline every image still undecided is kept.

The ``Approval`` waiter is among the tasks of every wait here, so that a decision arriving while
decisions are being handed on is never left unread (the Python SDK keeps one unread event per
name).

With destinations set, people are told: that the approval waits (round 0 of signed links), then
a reminder at each interval and an escalation a set time before the deadline (each a new round),
each a ``notify`` sub-orchestration started without waiting (``orchestrators.notify``): the wait
wakes at the next notice's time, and a notice still out is one more task of the wait. A decision
made with a signed link spends the links of its round and of every earlier one; a decision that
reaches the orchestration at or after the deadline decides nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.domain.state import (
    ApprovalDecision,
    BatchDecision,
    Decision,
    DecisionRecord,
    FleetApproval,
    MigrationState,
    Phase,
    Refusal,
)
from migration.durable.jobs import (
    APPROVAL_EVENT,
    MigrationInput,
    batch_id,
    decision_event,
    decoded,
)
from migration.notify.schedule import NoticeClock, NoticeKind
from orchestrators.notify import Notifier
from orchestrators.timers import wait_any

Steps = Generator[Any, Any, Any]


class FleetApprovalRun:
    def __init__(
        self,
        context: df.DurableOrchestrationContext,
        job: MigrationInput,
        state: MigrationState,
        publish: Callable[[Phase | None], None],
    ) -> None:
        self.context = context
        self.job = job
        self.state = state
        self.publish = publish
        self.sequence: dict[int, int] = {}
        self.sending: list[Any] = []
        self.notifier = Notifier(context, job, state)

    @property
    def now(self) -> datetime:
        now: datetime = self.context.current_utc_datetime
        return now

    def run(self, replicated: dict[int, list[str]]) -> Steps:
        undecided = {
            s.lower(): (batch, s) for batch, sources in replicated.items() for s in sources
        }
        deadline = self.now + timedelta(seconds=self.job.options.approval_timeout_seconds)
        approval = FleetApproval(
            required=True, deadline=deadline, asked_at=self.now, undecided=len(undecided)
        )
        self.state.approval = approval
        self.publish(Phase.AWAITING_APPROVAL)
        notices = NoticeClock(self.job.options.notify, self.now, deadline)
        round_ = 0
        self.notifier.send(NoticeKind.AWAITING, round_)
        event: Any = self.context.wait_for_external_event(APPROVAL_EVENT)
        while undecided and self.now < deadline:
            wake_at = min(deadline, notices.next_at or deadline)
            tasks = [event, *self.sending, *self.notifier.pending]
            winner: Any = yield from wait_any(self.context, tasks, wake_at)
            if winner is event:
                decision = _decision(decoded(event.result))
                event = self.context.wait_for_external_event(APPROVAL_EVENT)
                self.take(decision, undecided)
            elif winner is None:
                if (kind := notices.due(self.now)) is not None and undecided:
                    round_ += 1
                    self.notifier.send(kind, round_)
            elif self.notifier.owns(winner):
                self.notifier.settle(winner)
            else:
                self.sending.remove(winner)
            self.publish(None)
        if undecided:
            approval.timed_out = len(undecided)
            approval.undecided = 0
            self.hand_on(Decision.TIMED_OUT, list(undecided.values()), None)
            undecided.clear()
        self.publish(Phase.DELETING)
        if self.sending:
            yield self.context.task_all(self.sending)
        # Notices still being retried ask for a decision no longer wanted: stopped, not awaited.
        yield from self.notifier.stop()

    def take(self, decision: ApprovalDecision, undecided: dict[str, tuple[int, str]]) -> None:
        """Decide each named (or every) undecided image once, and hand the decision on."""
        verdict = Decision.APPROVED if decision.approved else Decision.REJECTED
        approval = self.state.approval
        refused = self._refused(decision)
        if refused is not None:
            wanted: list[str] = []
        else:
            keys = [s.lower() for s in decision.images] if decision.images is not None else None
            wanted = keys if keys is not None else list(undecided)
            if decision.link is not None:
                approval.links_spent = decision.link
        chosen = [undecided.pop(k) for k in wanted if k in undecided]
        if verdict == Decision.APPROVED:
            approval.approved += len(chosen)
        else:
            approval.rejected += len(chosen)
        approval.undecided = len(undecided)
        # Recorded even when it decided nothing (every image it named was decided already),
        # so that whoever made it is told.
        approval.record(
            DecisionRecord(
                decision=verdict,
                request_id=decision.request_id,
                by=decision.by,
                reason=decision.reason,
                principal=decision.principal,
                at=self.now,
                images=len(chosen),
                refused=refused,
            )
        )
        if chosen:
            self.hand_on(verdict, chosen, decision)

    def _refused(self, decision: ApprovalDecision) -> Refusal | None:
        """Why a decision decides nothing: it came too late, or through a link that is spent."""
        approval = self.state.approval
        if approval.deadline is not None and self.now >= approval.deadline:
            return Refusal.LATE
        if decision.link is not None and decision.link <= approval.links_spent:
            return Refusal.LINK_SPENT
        return None

    def hand_on(
        self,
        verdict: Decision,
        chosen: list[tuple[int, str]],
        decision: ApprovalDecision | None,
    ) -> None:
        by_batch: dict[int, list[str]] = {}
        for batch, source in chosen:
            by_batch.setdefault(batch, []).append(source)
        events = []
        for batch, sources in sorted(by_batch.items()):
            seq = self.sequence.get(batch, 0)
            self.sequence[batch] = seq + 1
            field = {
                Decision.APPROVED: "approved",
                Decision.REJECTED: "rejected",
                Decision.TIMED_OUT: "timed_out",
            }[verdict]
            payload = BatchDecision(
                seq=seq,
                by=decision.by if decision else None,
                reason=decision.reason if decision else None,
                principal=decision.principal if decision else None,
                at=self.now,
                **{field: sources},
            )
            events.append(
                {
                    "instance": batch_id(self.job.migration_id, batch),
                    "name": decision_event(seq),
                    "payload": payload.to_json(),
                }
            )
        self.sending.append(self.context.call_activity(names.SEND_EVENTS, events))


def _decision(payload: Any) -> ApprovalDecision:
    try:
        return ApprovalDecision.from_json(payload)
    except ValueError:
        # The endpoints validate what they raise; anything else is not an approval.
        return ApprovalDecision(
            approved=False, by="unknown", reason="malformed approval", images=[]
        )
