"""A batch's last part: which of its replicated images lose their source, and deleting them.

By the request's policy: ``never`` keeps every source; ``afterReplication`` deletes each source
whose version replicated; ``afterApproval`` takes the migration's decisions (``Decision-<n>``
events, in order, each naming images approved, rejected or timed out) until each replicated
image is decided, deleting the approved ones as they come. Every delete re-checks, right before
it is sent, that the image's own version is Succeeded and Completed everywhere and that no scale
set still uses the image (``migration.arm.images.delete_source``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import azure.durable_functions as df

from activities import names
from migration.domain.facts import ImageFacts
from migration.domain.plan import ImagePlan
from migration.domain.request import DeleteSource
from migration.domain.state import (
    BatchDecision,
    BatchState,
    Decision,
    ImageDecision,
    ImagePhase,
    ImageState,
    Phase,
)
from migration.durable.jobs import BatchInput, decision_event, decoded
from orchestrators.calls import Steps, call_all
from orchestrators.timers import wait_until

# How often, and how many times, to look whether a deleted image is gone.
DELETE_POLL = timedelta(seconds=30)
DELETE_POLLS = 20
# How long after its estimate of the migration's approval deadline a batch still waits for its
# decision. The migration always hands one over (a timeout at its own deadline at the latest),
# but it asks for approval only once every batch has replicated, which can be hours after the
# estimate (ARM's retries before a version starts, slots, slower batches): a batch that gave up
# an hour after its estimate kept sources that the migration then accepted approvals for. So
# this only ends the wait of a batch whose migration has died (failed, terminated).
DECISION_GRACE = timedelta(days=7)
# Why a source is kept when no approval came in time: the migration's timeout, or (should its
# migration have died) the batch's own deadline; to the user both are the same.
TIMED_OUT = "no approval before the approval timeout"

Pair = tuple[ImageState, ImagePlan]


class Deletion:
    def __init__(
        self,
        context: df.DurableOrchestrationContext,
        job: BatchInput,
        state: BatchState,
        plans: list[ImagePlan],
    ) -> None:
        self.context = context
        self.job = job
        self.state = state
        self.plans = plans

    @property
    def now(self) -> datetime:
        now: datetime = self.context.current_utc_datetime
        return now

    def run(self, publish: Callable[[Phase | None], None]) -> Steps:
        pairs = zip(self.state.images, self.plans, strict=True)
        replicated = [(s, p) for s, p in pairs if s.phase == ImagePhase.REPLICATED]
        policy = self.job.request.delete_source
        if not replicated:
            return
        if policy == DeleteSource.NEVER:
            for state, _ in replicated:
                state.keep("deleteSource is never", self.now)
            return
        if policy == DeleteSource.AFTER_REPLICATION:
            publish(Phase.DELETING)
            yield from self.delete(replicated)
            return
        publish(Phase.AWAITING_APPROVAL)
        yield from self.decisions(replicated, publish)

    def decisions(self, replicated: list[Pair], publish: Callable[[Phase | None], None]) -> Steps:
        undecided = {state.source.lower(): (state, plan) for state, plan in replicated}
        deadline = (self.job.approval_deadline or self.now) + DECISION_GRACE
        seq = 0
        while undecided:
            event = self.context.wait_for_external_event(decision_event(seq))
            if not (yield from wait_until(self.context, event, deadline)):
                for state, _ in undecided.values():
                    state.keep(TIMED_OUT, self.now)
                    state.decision = ImageDecision(decision=Decision.TIMED_OUT, at=self.now)
                return
            seq += 1
            decision = BatchDecision.from_json(decoded(event.result))
            approved = self.record(decision, undecided)
            publish(Phase.DELETING if approved else None)
            yield from self.delete(approved)
            publish(Phase.AWAITING_APPROVAL if undecided else None)

    def record(self, decision: BatchDecision, undecided: dict[str, Pair]) -> list[Pair]:
        """Take a decision in: each image it names is decided (once); the approved to delete."""
        approved: list[Pair] = []
        for verdict, sources in (
            (Decision.APPROVED, decision.approved),
            (Decision.REJECTED, decision.rejected),
            (Decision.TIMED_OUT, decision.timed_out),
        ):
            for source in sources:
                pair = undecided.pop(source.lower(), None)
                if pair is None:
                    continue  # decided already, or not this batch's
                state, _ = pair
                state.decision = ImageDecision(
                    decision=verdict,
                    by=decision.by,
                    reason=decision.reason,
                    principal=decision.principal,
                    at=decision.at,
                )
                if verdict == Decision.APPROVED:
                    approved.append(pair)
                elif verdict == Decision.REJECTED:
                    because = f": {decision.reason}" if decision.reason else ""
                    state.keep(f"rejected by {decision.by}{because}", self.now)
                else:
                    state.keep(TIMED_OUT, self.now)
        return approved

    def delete(self, images: list[Pair]) -> Steps:
        if not images:
            return
        for state, _ in images:
            state.phase = ImagePhase.DELETING
        outcomes = yield from call_all(
            self.context,
            [
                (
                    names.DELETE_SOURCE,
                    {
                        "source": state.source,
                        "gallery": self.job.request.gallery,
                        "definition": state.definition,
                        "version": state.version,
                        "deleteInUse": plan.delete_in_use,
                        "blockVersion": plan.block_before_source_delete,
                        # Stated if the version has none (else Azure gives it six months).
                        "endOfLife": _iso(plan.end_of_life_when_blocked or plan.end_of_life_date),
                        "migrationId": self.job.migration_id,
                    },
                )
                for state, plan in images
            ],
            self.job.options.budget,
        )
        deleting: list[ImageState] = []
        for (state, plan), outcome in zip(images, outcomes, strict=True):
            if not outcome.ok:
                state.keep(outcome.message, self.now)
                continue
            if plan.block_before_source_delete:
                state.deletion_blocked = True  # blocked before the delete was sent
                state.end_of_life_date = state.end_of_life_date or plan.end_of_life_when_blocked
            if outcome.value == "gone":
                state.mark_deleted(self.now)
            else:
                deleting.append(state)
        yield from self.wait_until_gone(deleting)

    def wait_until_gone(self, deleting: list[ImageState]) -> Steps:
        for _ in range(DELETE_POLLS):
            if not deleting:
                return
            yield self.context.create_timer(self.now + DELETE_POLL)
            outcomes = yield from call_all(
                self.context,
                [(names.INSPECT_IMAGE, state.source) for state in deleting],
                self.job.options.budget,
            )
            still: list[ImageState] = []
            for state, outcome in zip(deleting, outcomes, strict=True):
                if outcome.ok and not ImageFacts.from_json(outcome.value).exists:
                    state.mark_deleted(self.now)
                else:
                    still.append(state)
            deleting = still
        for state in deleting:
            state.keep("the delete was accepted but the image still exists", self.now)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
