"""The migration orchestration: inspect, plan, create definitions and versions, watch replication,
wait for approval, and delete sources whose versions are safely replicated.

One instance per request. Each image is tracked on its own, so one image failing leaves the
others going; the result says what happened to each and why.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm import retry
from migration.domain.facts import GalleryFacts, ImageFacts, Inspection, VersionFacts, Wait
from migration.domain.plan import ImagePlan, Plan, build_plan, given_up
from migration.domain.request import DeleteSource, MigrationRequest
from migration.domain.state import (
    ApprovalDecision,
    ApprovalState,
    Decision,
    ImagePhase,
    ImageState,
    MigrationState,
    Phase,
)
from migration.durable.jobs import (
    APPROVAL_EVENT,
    ORCHESTRATOR,
    REPLICATION_WATCHER,
    MigrationInput,
    decoded,
    watcher_id,
)
from migration.durable.status import custom_status
from orchestrators.calls import call_all
from orchestrators.replication import WatchedVersion, WatchInput, WatchResult

bp = df.Blueprint()

# A durable timer longer than this becomes a chain of timers whose cancel() is lost (a known
# issue of the Python SDK), so long approval waits are made of timers of at most six days.
MAX_TIMER = timedelta(days=6)
# How often, and how many times, to look whether a deleted image is gone.
DELETE_POLL = timedelta(seconds=30)
DELETE_POLLS = 20

Steps = Generator[Any, Any, Any]


@bp.orchestration_trigger(context_name="context", orchestration=ORCHESTRATOR)
def migrate(context: df.DurableOrchestrationContext) -> Steps:
    job = MigrationInput.from_json(context.get_input())
    # Not try/finally: a replay that runs out of history closes the generator, and a finally
    # that yields would then break it. GeneratorExit is not an Exception, so it passes by.
    try:
        result = yield from MigrationRun(context, job).execute()
    except Exception:
        yield from release_claims(context, job)
        raise
    yield from release_claims(context, job)
    return result


def release_claims(context: df.DurableOrchestrationContext, job: MigrationInput) -> Steps:
    """Give the sources back, so that the next migration of one may start."""
    if job.claims:
        yield context.call_activity(
            names.RELEASE_CLAIMS, {"migrationId": job.migration_id, "claims": job.claims}
        )


class MigrationRun:
    def __init__(self, context: df.DurableOrchestrationContext, job: MigrationInput) -> None:
        self.context = context
        self.job = job
        self.request: MigrationRequest = job.request
        self.state = MigrationState(
            migration_id=job.migration_id,
            gallery=self.request.gallery,
            delete_source=self.request.delete_source.value,
            trigger=job.trigger,
            started_at=context.current_utc_datetime,
            images=[ImageState(source=image.source) for image in self.request.images],
        )
        self.plans: list[ImagePlan] = []
        self.gallery = GalleryFacts(id=self.request.gallery)

    @property
    def now(self) -> datetime:
        now: datetime = self.context.current_utc_datetime
        return now

    def publish(self, phase: Phase | None = None) -> None:
        if phase is not None:
            self.state.phase = phase
        self.context.set_custom_status(custom_status(self.state))

    def live(self, *phases: ImagePhase) -> list[tuple[ImageState, ImagePlan]]:
        pairs = zip(self.state.images, self.plans, strict=True)
        return [(state, plan) for state, plan in pairs if state.phase in phases]

    def execute(self) -> Steps:
        self.publish(Phase.INSPECTING)
        plan = yield from self.inspect()
        self.apply_plan(plan)
        self.publish(Phase.CREATING_DEFINITIONS)
        yield from self.create_definitions(plan)
        self.publish(Phase.CREATING_VERSIONS)
        yield from self.start_versions()
        self.publish(Phase.REPLICATING)
        yield from self.watch_replication()
        yield from self.decide_and_delete()
        self.state.phase = Phase.DONE
        self.state.finished_at = self.now
        self.publish()
        return self.state.to_result()

    # -- inspection and planning -------------------------------------------------------------

    def inspect(self) -> Generator[Any, Any, Plan]:
        """Plan from the starter's inspection if it made one, else from one made now.

        Reads that ARM asks to try later are read again after a durable timer, only those, until
        the retry policy gives up on them.
        """
        inspection = self.job.inspection
        attempts = 0
        while inspection is None or not inspection.complete:
            if inspection is not None:
                throttled = inspection.throttled
                if attempts >= retry.attempts_allowed(throttled=throttled):
                    inspection = given_up(self.request, inspection)
                    break
                wait = retry.wait_before_retry(
                    inspection.longest_wait, attempts, throttled=throttled
                )
                yield self.context.create_timer(self.now + timedelta(seconds=wait))
            attempts += 1
            known = inspection.to_json() if inspection is not None else None
            (outcome,) = yield from call_all(
                self.context, [(names.INSPECT, {"request": self.request.to_json(), "known": known})]
            )
            if not outcome.ok:
                failed = Wait(seconds=0, message=f"inspection failed: {outcome.message}")
                inspection = given_up(
                    self.request,
                    (inspection or Inspection()).model_copy(update={"waits": {"all": failed}}),
                )
                break
            inspection = Inspection.from_json(outcome.value)
        self.gallery = inspection.gallery or self.gallery
        options = self.job.options
        return build_plan(
            self.request,
            inspection,
            options.plan,
            now=self.now,
            skip_migrated=options.skip_migrated,
            migration_id=self.job.migration_id,
        )

    def apply_plan(self, plan: Plan) -> None:
        self.plans = plan.images
        self.state.problems.extend(p for p in plan.problems if p not in self.state.problems)
        for state, image in zip(self.state.images, plan.images, strict=True):
            state.definition = image.definition.name if image.definition else None
            state.version = image.version
            state.security_type = image.definition.security_type if image.definition else None
            state.end_of_life_date = image.end_of_life_date
            state.deletion_blocked = image.block_deletion if image.version else None
            state.scale_sets = list(image.scale_sets)
            state.target_regions = image.target_regions
            state.notes = list(image.notes)
            if plan.problems or image.problems:
                state.phase = ImagePhase.BLOCKED
                state.error = "; ".join(image.problems or plan.problems)
                state.kept_reason = "the image could not be migrated"
                state.finished_at = self.now
            elif image.skipped:
                state.phase = ImagePhase.SKIPPED
                state.kept_reason = "already migrated"
                state.finished_at = self.now
            else:
                state.phase = ImagePhase.CREATING_DEFINITION

    # -- definitions and versions ------------------------------------------------------------

    def create_definitions(self, plan: Plan) -> Steps:
        definitions = plan.definitions_to_create
        if not definitions:
            return
        # Definitions live in the gallery's region (a version may live elsewhere).
        location = self.gallery.location
        outcomes = yield from call_all(
            self.context,
            [
                (
                    names.ENSURE_DEFINITION,
                    {"gallery": plan.gallery, "definition": d.to_json(), "location": location},
                )
                for d in definitions
            ],
        )
        failed = {
            d.name.lower(): outcome.message
            for d, outcome in zip(definitions, outcomes, strict=True)
            if not outcome.ok
        }
        for state, image in self.live(ImagePhase.CREATING_DEFINITION):
            name = image.definition.name.lower() if image.definition else ""
            if name in failed:
                state.fail(f"definition {name}: {failed[name]}", self.now)

    def start_versions(self) -> Steps:
        ready = self.live(ImagePhase.CREATING_DEFINITION)
        for state, _ in ready:
            state.phase = ImagePhase.CREATING_VERSION
        self.publish()
        outcomes = yield from call_all(
            self.context,
            [
                (
                    names.START_VERSION,
                    {
                        "gallery": self.request.gallery,
                        "image": image.to_json(),
                        "migrationId": self.job.migration_id,
                    },
                )
                for _, image in ready
            ],
        )
        for (state, image), outcome in zip(ready, outcomes, strict=True):
            if not outcome.ok:
                state.fail(f"version {image.version}: {outcome.message}", self.now)
                continue
            version = VersionFacts.from_json(outcome.value)
            state.phase = ImagePhase.REPLICATING
            state.version_started_at = self.now
            state.version_id = (
                f"{self.request.gallery}/images/{version.definition}/versions/{version.name}"
            )
            state.target_regions = version.target_regions or image.target_regions

    # -- replication -------------------------------------------------------------------------

    def watch_replication(self) -> Steps:
        watched = [
            (index, state, plan)
            for index, (state, plan) in enumerate(zip(self.state.images, self.plans, strict=True))
            if state.phase == ImagePhase.REPLICATING
        ]
        if not watched:
            return
        self.publish()
        options = self.job.options
        watch = WatchInput(
            gallery=self.request.gallery,
            versions=[
                WatchedVersion(
                    index=index,
                    source=state.source,
                    definition=str(state.definition),
                    version=str(state.version),
                )
                for index, state, _ in watched
            ],
            deadline=self.now + timedelta(seconds=options.replication_timeout_seconds),
            poll_min_seconds=options.poll_min_seconds,
            poll_max_seconds=options.poll_max_seconds,
        )
        results = yield self.context.call_sub_orchestrator(
            REPLICATION_WATCHER, watch.to_json(), watcher_id(self.job.migration_id)
        )
        results = results or {}
        for index, state, _ in watched:
            raw = results.get(str(index))
            if raw is None:
                state.fail("the replication watcher returned no result", self.now)
                continue
            result = WatchResult.from_json(raw)
            state.regions = result.regions
            if result.state == "completed":
                state.phase = ImagePhase.REPLICATED
                state.replicated_at = result.at
            else:
                state.fail(result.message or f"replication {result.state}", result.at)

    # -- approval and deletion ---------------------------------------------------------------

    def decide_and_delete(self) -> Steps:
        replicated = self.live(ImagePhase.REPLICATED)
        policy = self.request.delete_source
        if not replicated:
            return
        if policy == DeleteSource.NEVER:
            self.keep(replicated, "deleteSource is never")
            return
        if policy == DeleteSource.AFTER_APPROVAL:
            decision = yield from self.wait_for_approval()
            if decision != Decision.APPROVED:
                self.keep(replicated, self.refusal())
                return
        yield from self.delete_sources(replicated)

    def refusal(self) -> str:
        approval = self.state.approval
        if approval.decision == Decision.REJECTED:
            because = f": {approval.reason}" if approval.reason else ""
            return f"rejected by {approval.by}{because}"
        return "no approval before the approval timeout"

    def keep(self, images: list[tuple[ImageState, ImagePlan]], reason: str) -> None:
        for state, _ in images:
            state.keep(reason, self.now)

    def wait_for_approval(self) -> Generator[Any, Any, Decision]:
        deadline = self.now + timedelta(seconds=self.job.options.approval_timeout_seconds)
        self.state.approval = ApprovalState(required=True, deadline=deadline)
        self.publish(Phase.AWAITING_APPROVAL)
        # One event task for the whole wait: it is raced against each timer of the chain.
        event = self.context.wait_for_external_event(APPROVAL_EVENT)
        while self.now < deadline:
            timer = self.context.create_timer(min(deadline, self.now + MAX_TIMER))
            winner = yield self.context.task_any([event, timer])
            if winner is event:
                if not timer.is_completed:
                    timer.cancel()
                return self.record_decision(event.result)
        self.state.approval.decision = Decision.TIMED_OUT
        self.state.approval.at = self.now
        return Decision.TIMED_OUT

    def record_decision(self, payload: Any) -> Decision:
        approval = self.state.approval
        try:
            decision = ApprovalDecision.from_json(decoded(payload))
        except ValueError:
            # The endpoints validate what they raise; anything else is not an approval.
            decision = ApprovalDecision(approved=False, by="unknown", reason="malformed approval")
        approval.decision = Decision.APPROVED if decision.approved else Decision.REJECTED
        approval.by = decision.by
        approval.reason = decision.reason
        approval.at = self.now
        return approval.decision

    def delete_sources(self, images: list[tuple[ImageState, ImagePlan]]) -> Steps:
        for state, _ in images:
            state.phase = ImagePhase.DELETING
        self.publish(Phase.DELETING)
        outcomes = yield from call_all(
            self.context,
            [
                (
                    names.DELETE_SOURCE,
                    {
                        "source": state.source,
                        "gallery": self.request.gallery,
                        "definition": state.definition,
                        "version": state.version,
                        "deleteInUse": plan.delete_in_use,
                        "blockVersion": plan.block_before_source_delete,
                    },
                )
                for state, plan in images
            ],
        )
        deleting: list[ImageState] = []
        for (state, plan), outcome in zip(images, outcomes, strict=True):
            if not outcome.ok:
                state.keep(outcome.message, self.now)
                continue
            if plan.block_before_source_delete:
                state.deletion_blocked = True  # blocked before the delete was sent
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
                self.context, [(names.INSPECT_IMAGE, state.source) for state in deleting]
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
