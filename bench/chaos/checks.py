"""What must hold after every round, read from the emulator's own state log and the API.

1. **Data safety** (``emulator.audit``): no managed image was deleted unless a version made
   from it was Succeeded in every region; and none that a scale set uses, unless the request
   said ``deleteInUseSources``.
2. **One version per source per migration**, and every version was made by a migration that
   was started (its ``galleryMigrator.migrationId`` tag names one the round knows).
3. **Nothing for invalid requests**: each is answered 400 or 403 (none accepted), and left no
   definition of the name it gave, no version from its image, and its image in place.
4. **Every migration ended before its deadline** (from its start, in simulated time: its
   replication timeout, its approval timeout, an hour of slack, and whatever time the host was
   down meanwhile), Completed, with an outcome, and every image in a final phase, read through
   the image pages.
5. **Approvals honoured**: every delete the emulator saw is one a migration reports, and one
   its policy allowed: ``never`` deletes nothing; ``afterApproval`` only images decided
   ``approved``, by a decision the round sent (or may have sent, when the answer was lost);
   an image approved (or, ``afterReplication``, replicated) is deleted unless a scale set uses
   it; an image rejected or timed out is kept and still exists (or was deleted, once that
   migration let go of it, by a later one that says so); a decision answered as having
   decided every image (or the named ones) leaves none of them timed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.chaos.rounds import Played, Tracked
from emulator import Emulator
from emulator.audit import unsafe_deletions
from emulator.records import StateEvent
from migration.domain.facts import TAG_MIGRATION
from migration.domain.state import FINAL_PHASES
from migration.durable.jobs import MigrationInput

SLACK = timedelta(hours=1)
FINAL = {p.value for p in FINAL_PHASES}


@dataclass(frozen=True)
class Violation:
    round: int
    check: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"round {self.round} [{self.check}] {self.subject}: {self.detail}"


class Checker:
    """Checks rounds one after another; remembers what earlier rounds reported."""

    def __init__(self, emulator: Emulator, downtimes: list[tuple[datetime, datetime]]) -> None:
        self.emulator = emulator
        # The host's downtimes (the list grows as the run goes): a migration's deadline moves by
        # the time its host was down, as it would for a Functions app whose host is away.
        self.downtimes = downtimes
        self.reported_unsafe: set[str] = set()

    def check(self, played: Played) -> list[Violation]:
        events = self.emulator.events
        found: list[Violation] = []
        number = played.draw.number

        def bad(check: str, subject: str, detail: str) -> None:
            found.append(Violation(number, check, subject, detail))

        for unsafe in unsafe_deletions(events):
            if unsafe not in self.reported_unsafe:
                self.reported_unsafe.add(unsafe)
                bad("safety", unsafe, "deleted without a Succeeded, fully replicated version")
        recent = events[played.events_from :]
        self.versions(played, recent, bad)
        self.refused(played, events, bad)
        deleted_by: dict[str, set[str]] = {}
        for tracked in played.migrations.values():
            for image in tracked.images:
                if image.get("phase") == "deleted":
                    deleted_by.setdefault(str(image["source"]).lower(), set()).add(tracked.id)
        for tracked in played.migrations.values():
            self.ended(played, tracked, bad)
            self.approvals(tracked, played.rewritten, deleted_by, bad)
        self.deletes(played, recent, bad)
        if played.timed_out:
            bad("ended", f"round {number}", "the round's migrations outran its wall-time cap")
        return found

    # -- 2 ---------------------------------------------------------------------------------

    def versions(self, played: Played, recent: list[StateEvent], bad: Any) -> None:
        made: dict[tuple[str, str], list[str]] = {}
        for event in recent:
            if event.kind != "created" or not event.detail or "source" not in event.detail:
                continue
            resource = self.emulator.resource(event.resource_id) or {}
            owner = (resource.get("tags") or {}).get(TAG_MIGRATION, "")
            source = str(event.detail["source"]).lower()
            made.setdefault((source, owner), []).append(event.resource_id)
            if owner not in played.migrations:
                bad("versions", event.resource_id, f"made for no started migration ({owner!r})")
        for (source, owner), versions in made.items():
            if len(versions) > 1:
                bad("versions", source, f"{len(versions)} versions in migration {owner}")

    # -- 3 ---------------------------------------------------------------------------------

    def refused(self, played: Played, events: list[StateEvent], bad: Any) -> None:
        answered = {r.draw.key: r.status for r in played.refused}
        accepted = {t.key for t in played.migrations.values() if t.key is not None}
        invalid = {d.key: d for d in played.draw.requests if d.invalid is not None}
        invalid.update({r.draw.key: r.draw for r in played.refused if r.draw.invalid is not None})
        # A valid request refused (409) is not here: its images are others' to migrate.
        for draw in invalid.values():
            if draw.key in accepted:
                bad("refused", draw.key, f"invalid ({draw.invalid}) but accepted")
            elif answered.get(draw.key, 400) not in (400, 403):
                status = answered[draw.key]
                bad("refused", draw.key, f"invalid ({draw.invalid}) but answered {status}")
            # Whatever it was answered (or if the answer was lost), nothing may come of it.
            definition = f"/images/refused-{draw.key}".lower()
            bystander = draw.body["images"][0]["source"].split("?")[0].lower()
            for event in events:
                key = event.resource_id.lower()
                if event.kind == "created" and key.endswith(definition):
                    bad("refused", draw.key, f"definition created: {event.resource_id}")
                source = str((event.detail or {}).get("source", "")).lower()
                if event.kind == "created" and source == bystander:
                    bad("refused", draw.key, f"version created: {event.resource_id}")
                if event.kind == "deleting" and key == bystander:
                    bad("refused", draw.key, f"its image was deleted: {event.resource_id}")

    # -- 4 ---------------------------------------------------------------------------------

    def ended(self, played: Played, tracked: Tracked, bad: Any) -> None:
        view = tracked.view
        if tracked.runtime != "Completed":
            bad("ended", tracked.id, f"runtime status {tracked.runtime}: {view.get('error')}")
            return
        if not view.get("outcome"):
            bad("ended", tracked.id, "no outcome")
        if len(tracked.images) != int(view.get("imageCount", 0)):
            bad("ended", tracked.id, f"{len(tracked.images)} images paged of {view['imageCount']}")
        for image in tracked.images:
            if image.get("phase") not in FINAL:
                bad("ended", tracked.id, f"{image['source']} ends {image.get('phase')}")
        job = _job(tracked)
        if job is None:
            bad("ended", tracked.id, "its input could not be read")
            return
        created = datetime.fromisoformat(view["createdTime"])
        ended = datetime.fromisoformat(view["lastUpdatedTime"])
        deadline = created + deadline_after(job)
        deadline += sum(
            (
                min(b, deadline) - max(a, created)
                for a, b in self.downtimes
                if a < deadline and b > created
            ),
            timedelta(),
        )
        if ended > deadline:
            late = (ended - deadline).total_seconds() / 60
            bad("ended", tracked.id, f"ended {late:.0f} min after its deadline")

    # -- 5 ---------------------------------------------------------------------------------

    def approvals(
        self,
        tracked: Tracked,
        rewritten: set[str],
        deleted_by: dict[str, set[str]],
        bad: Any,
    ) -> None:
        job = _job(tracked)
        if job is None:
            return
        policy = job.request.delete_source.value
        in_use_ok = job.request.delete_in_use_sources
        every_decided = any(
            s.images is None and s.status == 202 and s.decided for s in tracked.sent
        )
        for image in tracked.images:
            source = str(image["source"])
            if source.lower() in rewritten:
                continue  # someone else re-captured it: the audit alone speaks for it
            phase = image.get("phase")
            decision = (image.get("decision") or {}).get("decision")
            exists = self.emulator.resource(source) is not None
            in_use = self.in_use(source)
            if phase == "deleted" and exists:
                bad("approvals", source, f"reported deleted by {tracked.id} but still exists")
            if phase == "deleted" and in_use and not in_use_ok:
                bad("safety", source, f"deleted by {tracked.id} while a scale set uses it")
            if policy == "never" and phase == "deleted":
                bad("approvals", source, f"deleted by {tracked.id} whose policy is never")
            # Kept by this migration: still there, or taken afterwards (once this one ended and
            # let go of it) by another migration that says it deleted it.
            kept_here = exists or bool(deleted_by.get(source.lower(), set()) - {tracked.id})
            if policy == "afterApproval":
                self.decided(tracked, image, decision, kept_here, every_decided, bad)
            replicated = bool(image.get("replicatedAt"))
            if (
                policy == "afterReplication"
                and replicated
                and phase == "kept"
                and not (in_use and not in_use_ok)
            ):
                bad("approvals", source, f"replicated, kept: {image.get('keptReason')}")
            if decision == "approved" and phase == "kept" and (not in_use or in_use_ok):
                bad("approvals", source, f"approved, kept: {image.get('keptReason')}")

    def decided(
        self,
        tracked: Tracked,
        image: dict[str, Any],
        decision: str | None,
        kept_here: bool,
        every_decided: bool,
        bad: Any,
    ) -> None:
        source = str(image["source"])
        phase = image.get("phase")
        if phase == "deleted" and decision != "approved":
            bad("approvals", source, f"deleted by {tracked.id} with decision {decision}")
        if decision in ("rejected", "timedOut") and (phase != "kept" or not kept_here):
            bad("approvals", source, f"{decision} but {phase}, and gone with no other migration")
        if decision is not None and decision != "timedOut":
            verdict = decision == "approved"
            if not any(s.approved == verdict and _covers(s, source) for s in tracked.sent):
                bad("approvals", source, f"{decision} by no decision the round sent")
        if decision == "timedOut":
            if every_decided:
                bad("approvals", source, "timed out after a decision on every image")
            for sent in tracked.sent:
                named = {n.lower() for n in sent.images or []}
                every_named = sent.status == 202 and named and sent.decided == len(named)
                if every_named and source.lower() in named:
                    bad("approvals", source, "timed out though a decision named it")

    def deletes(self, played: Played, recent: list[StateEvent], bad: Any) -> None:
        """Every delete the emulator saw of this round's images is one a migration reports."""
        reported = {
            str(i["source"]).lower()
            for t in played.migrations.values()
            for i in t.images
            if i.get("phase") == "deleted"
        }
        for event in recent:
            key = event.resource_id.lower()
            image = "/images/" in key and "/galleries/" not in key
            if event.kind == "deleting" and image and key not in reported | played.rewritten:
                bad("approvals", event.resource_id, "deleted, but no migration says so")

    def in_use(self, source: str) -> bool:
        scale_set = source.replace("/images/", "/virtualMachineScaleSets/") + "-vmss"
        return self.emulator.resource(scale_set) is not None


def deadline_after(job: MigrationInput) -> timedelta:
    options = job.options
    waits = timedelta(seconds=options.replication_timeout_seconds) + SLACK
    if job.request.delete_source.value == "afterApproval":
        waits += timedelta(seconds=options.approval_timeout_seconds)
    return waits


def _job(tracked: Tracked) -> MigrationInput | None:
    try:
        return MigrationInput.from_json(tracked.input)
    except ValueError:
        return None


def _covers(sent: Any, source: str) -> bool:
    return sent.images is None or source.lower() in {n.lower() for n in sent.images}
