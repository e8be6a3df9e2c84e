"""One batch of a migration's images: inspect, plan, create definitions and versions, watch
replication, then delete the sources its migration's decisions allow.

A sub-orchestration of the migration (``migrate``), one per batch, so that no instance's history
grows with the size of the fleet: a batch holds at most ``migration.domain.selection.BATCH_SIZE``
images. Its custom status shows its counts; each image's state, in full, is in the batch's images
entity (``entities.images``), which it and its replication watcher keep up to date.
It tells its migration when its versions are started and when every image has replicated or
failed (``BatchReport`` events), and then takes the migration's decisions (``Decision-<n>``).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm import retry
from migration.domain.facts import GalleryFacts, Inspection, VersionFacts, Wait
from migration.domain.plan import ImagePlan, Plan, build_plan, given_up
from migration.domain.state import BatchReport, BatchState, ImagePhase, ImageState, Phase
from migration.durable.jobs import (
    BATCH_ORCHESTRATOR,
    BATCH_REPORT_EVENT,
    REPLICATION_WATCHER,
    BatchInput,
    images_entity,
    watcher_id,
)
from migration.durable.status import batch_status
from orchestrators.calls import call_all, send_events
from orchestrators.claims import releasing_claims
from orchestrators.deletion import Deletion
from orchestrators.replication import WatchedVersion, WatchInput, WatchResult

bp = df.Blueprint()

Steps = Generator[Any, Any, Any]


@bp.orchestration_trigger(context_name="context", orchestration=BATCH_ORCHESTRATOR)
def migrate_batch(context: df.DurableOrchestrationContext) -> Steps:
    job = BatchInput.from_json(context.get_input())
    return (yield from releasing_claims(BatchRun(context, job)))


class BatchRun:
    def __init__(self, context: df.DurableOrchestrationContext, job: BatchInput) -> None:
        self.context = context
        self.job = job
        self.request = job.request
        self.state = BatchState(
            migration_id=job.migration_id,
            batch=job.batch.index,
            images=[
                ImageState(index=position, source=image.source)
                for position, image in zip(job.batch.positions, job.request.images, strict=True)
            ],
        )
        self.plans: list[ImagePlan] = []
        self.gallery = GalleryFacts(id=self.request.gallery)
        # What the images entity holds of each image, as last sent (only changes are sent).
        self.sent: dict[int, dict[str, Any]] = {}

    @property
    def now(self) -> datetime:
        now: datetime = self.context.current_utc_datetime
        return now

    def publish(self, phase: Phase | None = None) -> None:
        """Show the batch's counts as its status, and send the images entity what changed."""
        if phase is not None:
            self.state.phase = phase
        self.context.set_custom_status(batch_status(self.state.brief()))
        changed = []
        for image in self.state.images:
            shown = image.to_json()
            if self.sent.get(image.index) != shown:
                self.sent[image.index] = shown
                changed.append(shown)
        if changed:
            change = {
                "images": changed,
                "migrationId": self.job.migration_id,
                "batch": self.state.batch,
            }
            self.context.signal_entity(images_entity(self.context.instance_id), "images", change)

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
        yield from self.report("prepared")
        self.publish(Phase.REPLICATING)
        yield from self.watch_replication()
        # The images entity hears of each image's replication before the migration does, so
        # that what the migration then tells people (notices, the decision page) reads it.
        self.publish()
        yield from self.report("replicated")
        deletion = Deletion(self.context, self.job, self.state, self.plans)
        yield from deletion.run(self.publish)
        self.publish(Phase.DONE)
        # Each image's detail stays in this instance's (last) custom status.
        return {"batch": self.job.batch.index, "summary": self.state.summary()}

    def report(self, stage: str) -> Steps:
        replicated = [s.source for s in self.state.images if s.phase == ImagePhase.REPLICATED]
        report = BatchReport(
            batch=self.job.batch.index,
            stage=stage,
            summary=self.state.summary(),
            replicated=replicated if stage == "replicated" else [],
        )
        yield from send_events(
            self.context, [(self.job.migration_id, BATCH_REPORT_EVENT, report.to_json())]
        )

    def release_claims(self) -> Steps:
        """Give this batch's sources back, so that the next migration of one may start."""
        if self.job.claims:
            yield self.context.call_activity(
                names.RELEASE_CLAIMS,
                {"migrationId": self.job.migration_id, "claims": self.job.claims},
            )

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
                self.context,
                [(names.INSPECT, {"request": self.request.to_json(), "known": known})],
                self.job.options.budget,
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
        selected = set(self.job.selected)
        skip = {
            image.source.lower()
            for position, image in zip(self.job.batch.positions, self.request.images, strict=True)
            if options.skip_migrated or position in selected
        }
        return build_plan(
            self.request,
            inspection,
            options.plan,
            now=self.now,
            skip_migrated=skip,
            migration_id=self.job.migration_id,
        )

    def apply_plan(self, plan: Plan) -> None:
        self.plans = plan.images
        for problem in plan.problems:
            self.state.problem(problem)
        for state, image in zip(self.state.images, plan.images, strict=True):
            state.definition = image.definition.name if image.definition else None
            state.version = image.version
            state.security_type = image.definition.security_type if image.definition else None
            state.end_of_life_date = image.end_of_life_date
            state.deletion_blocked = image.block_deletion if image.version else None
            state.scale_sets = list(image.scale_sets)
            state.target_regions = image.target_regions
            for note in image.notes:
                state.note(note)
            if (holder := self.job.held_by.get(state.index)) is not None:
                state.skip(f"being migrated by migration {holder}", self.now)
            elif plan.problems or image.problems:
                state.phase = ImagePhase.BLOCKED
                state.error = "; ".join(image.problems or plan.problems)[:500]
                state.kept_reason = "the image could not be migrated"
                state.finished_at = self.now
            elif image.skipped:
                state.skip("already migrated", self.now)
            else:
                state.phase = ImagePhase.CREATING_DEFINITION

    # -- definitions and versions ------------------------------------------------------------

    def create_definitions(self, plan: Plan) -> Steps:
        creating = {s.source.lower() for s, _ in self.live(ImagePhase.CREATING_DEFINITION)}
        definitions = [
            d
            for d in plan.definitions_to_create
            if any(
                i.definition and i.definition.name == d.name and i.source.lower() in creating
                for i in plan.images
            )
        ]
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
            self.job.options.budget,
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
            self.job.options.budget,
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
            (index, state)
            for index, state in enumerate(self.state.images)
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
                    position=state.index,
                    source=state.source,
                    definition=str(state.definition),
                    version=str(state.version),
                )
                for index, state in watched
            ],
            store=self.context.instance_id,
            deadline=self.now + timedelta(seconds=options.replication_timeout_seconds),
            poll_min_seconds=options.poll_min_seconds,
            poll_max_seconds=options.poll_max_seconds,
            budget=options.budget,
        )
        results = yield self.context.call_sub_orchestrator(
            REPLICATION_WATCHER, watch.to_json(), watcher_id(self.context.instance_id)
        )
        results = results or {}
        for index, state in watched:
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
