"""The migration: select the images, run them in batches, take the one approval, and end.

One instance per request. It never touches an image itself: it selects (scopes are listed page
by page, each selected image claimed on its own; one that another migration holds is skipped
and reported), splits the images into batches (``migration.domain.selection``) and runs each in
a ``migrate_batch`` sub-orchestration, which inspects, plans, creates definitions and versions,
watches replication and deletes what its decisions allow. The batches report to it as they go
(``BatchReport`` events). With ``afterApproval``, once every batch has replicated or failed it
asks for one approval with one deadline, takes decisions on all images or named ones until each
is decided or the deadline passes, and hands each batch its decisions. Its own status stays
small: counts, the selection, the approval, problems (``migration.domain.state``).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.domain import selection
from migration.domain.ids import parse_gallery_id
from migration.domain.request import DeleteSource, ImageSpec
from migration.domain.state import (
    BatchReport,
    MigrationState,
    Phase,
    SelectionReport,
)
from migration.durable.claims import claim_id
from migration.durable.jobs import ORCHESTRATOR, BatchInput, MigrationInput
from migration.durable.status import migration_status
from orchestrators.calls import call_all
from orchestrators.claims import releasing_claims
from orchestrators.fleet_approval import FleetApprovalRun
from orchestrators.launch import Launcher
from orchestrators.notify import Notifier

bp = df.Blueprint()

Steps = Generator[Any, Any, Any]


@bp.orchestration_trigger(context_name="context", orchestration=ORCHESTRATOR)
def migrate(context: df.DurableOrchestrationContext) -> Steps:
    job = MigrationInput.from_json(context.get_input())
    return (yield from releasing_claims(Migration(context, job)))


class Migration:
    def __init__(self, context: df.DurableOrchestrationContext, job: MigrationInput) -> None:
        self.context = context
        self.job = job
        self.request = job.request
        self.state = MigrationState(
            migration_id=job.migration_id,
            gallery=self.request.gallery,
            delete_source=self.request.delete_source.value,
            trigger=job.trigger,
            started_at=context.current_utc_datetime,
            images=len(self.request.images),
        )
        # Claims this migration took on selected images (the starter took the explicit ones').
        self.taken: list[str] = []
        self.summaries: dict[int, dict[str, int]] = {}
        self.running: dict[int, Any] = {}

    @property
    def now(self) -> datetime:
        now: datetime = self.context.current_utc_datetime
        return now

    def publish(self, phase: Phase | None = None) -> None:
        if phase is not None:
            self.state.phase = phase
        self.state.summary = _total(self.summaries.values())
        self.context.set_custom_status(migration_status(self.state))

    def execute(self) -> Steps:
        images = list(self.request.images)
        selected: set[int] = set()
        held: dict[int, str] = {}
        if self.request.scopes:
            self.publish(Phase.SELECTING)
            found, held_by = yield from self.select({i.source.lower() for i in images})
            selected = set(range(len(images), len(images) + len(found)))
            held = {len(images) + n: held_by[s] for n, s in enumerate(found) if s in held_by}
            images.extend(ImageSpec(source=source) for source in found)
        self.state.images = len(images)
        # A batch takes the version slots of all its images at once, so none may be larger
        # than the subscription's slots (MAX_CONCURRENT_VERSIONS).
        size = min(selection.BATCH_SIZE, self.job.options.max_concurrent_versions)
        batches = selection.batches(images, size)
        self.state.batches = len(batches)
        self.publish(Phase.REPLICATING)
        replicated = yield from self.run_batches(batches, selected, held)
        if self.request.delete_source == DeleteSource.AFTER_APPROVAL and replicated:
            approval = FleetApprovalRun(self.context, self.job, self.state, self.publish)
            yield from approval.run(replicated)
        yield from self.finish()
        self.state.phase = Phase.DONE
        self.state.finished_at = self.now
        # Tell whoever is told (nothing without destinations): what was deleted, kept and why.
        yield from Notifier(self.context, self.job, self.state).outcome()
        self.publish()
        return self.state.to_json()

    # -- selection -----------------------------------------------------------------------------

    def select(self, explicit: set[str]) -> Generator[Any, Any, tuple[list[str], dict[str, str]]]:
        """Every image the scopes' filters take (besides the explicit ones), each claimed."""
        report = SelectionReport(scopes=len(self.request.scopes))
        self.state.selection = report
        found: list[str] = []
        limit = self.job.options.max_images - len(explicit)
        for scope in self.request.scopes:
            token: str | None = None
            while True:
                page = {"scope": scope, "filters": self.request.filters.to_json(), "token": token}
                (outcome,) = yield from call_all(
                    self.context, [(names.SELECT_IMAGES, page)], self.job.options.budget
                )
                if not outcome.ok:
                    self.state.problem(f"could not list {scope}: {outcome.message}")
                    break
                report.listed += int(outcome.value["listed"])
                for source in outcome.value["selected"]:
                    if source.lower() in explicit or source in found:
                        continue
                    if len(found) >= limit:
                        report.over_the_limit += 1
                    else:
                        found.append(source)
                token = outcome.value["next"]
                self.publish()
                if not token:
                    break
        held: dict[str, str] = {}
        for start in range(0, len(found), 100):
            chunk = {"migrationId": self.job.migration_id, "sources": found[start : start + 100]}
            (outcome,) = yield from call_all(self.context, [(names.TAKE_CLAIMS, chunk)])
            if not outcome.ok:
                # Not claimed is not ours: skip them rather than risk a second migration.
                held.update(dict.fromkeys(chunk["sources"], "unknown (claims failed)"))
                continue
            self.taken.extend(outcome.value["taken"])
            held.update(outcome.value["held"])
        report.selected = len(found) - len(held)
        report.held_by_others = len(held)
        if report.over_the_limit:
            self.state.problem(
                f"{report.over_the_limit} more images matched than one migration takes "
                f"({self.job.options.max_images}); run the migration again for them"
            )
        return found, held

    # -- the batches ---------------------------------------------------------------------------

    def batch_input(
        self, batch: selection.Batch, selected: set[int], held: dict[int, str]
    ) -> BatchInput:
        mine = set(batch.positions)
        taken = {s.lower() for s in self.taken}
        explicit = len(self.request.images)
        return BatchInput(
            migration_id=self.job.migration_id,
            batch=batch,
            request=self.request.model_copy(
                update={"images": batch.images, "scopes": [], "filters": self.request.filters}
            ),
            options=self.job.options,
            selected=sorted(mine & selected),
            held_by={p: h for p, h in held.items() if p in mine},
            claims=[
                claim_id(image.source)
                for position, image in zip(batch.positions, batch.images, strict=True)
                if position < explicit or image.source.lower() in taken
            ],
            inspection=self.job.inspection if batch.index == 0 else None,
            approval_deadline=self.approval_deadline(),
        )

    def approval_deadline(self) -> datetime | None:
        if self.request.delete_source != DeleteSource.AFTER_APPROVAL:
            return None
        # Replication plus the approval wait: a batch stops waiting for decisions after this.
        options = self.job.options
        return self.now + timedelta(
            seconds=options.replication_timeout_seconds + options.approval_timeout_seconds
        )

    def run_batches(
        self,
        batches: list[selection.Batch],
        selected: set[int],
        held: dict[int, str],
    ) -> Generator[Any, Any, dict[int, list[str]]]:
        """Run every batch until each has replicated or failed; the replicated sources of each."""

        def heard(report: BatchReport) -> None:
            self.summaries[report.batch] = report.summary
            self.publish()

        launcher = Launcher(
            self.context,
            self.job.migration_id,
            parse_gallery_id(self.request.gallery).subscription,
            self.job.options.max_concurrent_versions,
            lambda batch: self.batch_input(batch, selected, held),
            heard,
        )
        self.running = launcher.running
        return (yield from launcher.run(batches, self.settle))

    def settle(self, index: int, task: Any) -> None:
        """A batch ended: take its counts, or say why it failed."""
        if isinstance(task.result, Exception):  # a failed sub-orchestration's task holds it
            reason = (str(task.result).strip().splitlines() or ["failed"])[0][:300]
            self.state.problem(f"batch {index} failed: {reason}")
        elif isinstance(task.result, dict):
            self.summaries[index] = dict(task.result.get("summary") or {})

    def finish(self) -> Steps:
        """Wait for every batch to end (each deletes what its decisions allow), then count."""
        for index, task in self.running.items():
            if not task.is_completed:
                try:
                    yield task
                except Exception as error:  # a failed sub-orchestration reaches us so
                    self.state.problem(f"batch {index} failed: {str(error)[:300]}")
                    continue
            self.settle(index, task)
        self.publish(Phase.DONE)

    def release_claims(self) -> Steps:
        """Give back every claim this migration took (batches give back their own as they end;
        releasing one that has ended already is a no-op)."""
        claims = [*self.job.claims, *(claim_id(s) for s in self.taken)]
        if claims:
            yield self.context.call_activity(
                names.RELEASE_CLAIMS, {"migrationId": self.job.migration_id, "claims": claims}
            )


def _total(summaries: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for summary in summaries:
        for phase, count in summary.items():
            total[phase] = total.get(phase, 0) + count
    return total
