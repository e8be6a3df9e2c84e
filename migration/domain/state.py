"""A migration's state as users see it (published and read back by ``migration.durable.status``).

A migration is one orchestration for the whole request and one per batch of its images. Each
batch holds its images in full (:class:`BatchState`), keeps them in its images entity and
publishes only :class:`BatchSummary`; the migration itself (:class:`MigrationState`) keeps what
is complete at its level: the phase, counts, the selection, the approval and problems. Every
text and list in a published status is bounded, so that none can outgrow Durable's 16 KB
custom-status limit whatever the fleet's size or the service's messages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from migration.domain.facts import Data, RegionStatus, RegionTarget

# Texts kept in a status are bounded, so that a batch's status fits whatever the messages say.
MAX_TEXT = 500
MAX_NOTES = 4
# Decisions the migration's status lists (the newest); each image records its own.
MAX_DECISIONS_SHOWN = 10
# Problems a status lists in full (the first ones); the rest are counted. Each image's own
# error is in the image list, so nothing is lost: the count says how many more to look for.
MAX_PROBLEMS = 8
MAX_PROBLEM_TEXT = 200
# Who and why, as the migration's status shows a decision (each image keeps them in full).
MAX_NAME_SHOWN = 64
MAX_REASON_SHOWN = 160


class Problems(Data):
    """Problems at a status's level: the first ones, each bounded, and how many more."""

    problems: list[str] = Field(default_factory=list)
    more_problems: int = 0

    def problem(self, text: str) -> None:
        text = bounded(text, MAX_PROBLEM_TEXT) or ""
        if text in self.problems:
            return
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.more_problems += 1


def bounded(text: str | None, limit: int = MAX_TEXT) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class Phase(StrEnum):
    SELECTING = "selecting"
    INSPECTING = "inspecting"
    CREATING_DEFINITIONS = "creatingDefinitions"
    CREATING_VERSIONS = "creatingVersions"
    REPLICATING = "replicating"
    AWAITING_APPROVAL = "awaitingApproval"
    DELETING = "deleting"
    DONE = "done"


class ImagePhase(StrEnum):
    PLANNED = "planned"
    BLOCKED = "blocked"
    SKIPPED = "skipped"
    CREATING_DEFINITION = "creatingDefinition"
    CREATING_VERSION = "creatingVersion"
    REPLICATING = "replicating"
    REPLICATED = "replicated"
    FAILED = "failed"
    DELETING = "deleting"
    DELETED = "deleted"
    KEPT = "kept"


# Phases in which an image's copy exists: its version replicated (or it had been migrated before).
MIGRATED_PHASES = frozenset(
    {
        ImagePhase.SKIPPED,
        ImagePhase.REPLICATED,
        ImagePhase.DELETING,
        ImagePhase.DELETED,
        ImagePhase.KEPT,
    }
)
# Phases an image does not leave.
FINAL_PHASES = frozenset(
    {ImagePhase.BLOCKED, ImagePhase.SKIPPED, ImagePhase.FAILED, ImagePhase.DELETED, ImagePhase.KEPT}
)


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    TIMED_OUT = "timedOut"


class ImageDecision(Data):
    """Who decided about one image's source, and why (its own record)."""

    decision: Decision
    by: str | None = None
    reason: str | None = None
    principal: str | None = None
    at: datetime


class ImageState(Data):
    index: int = 0  # the image's position in the whole migration
    source: str
    phase: ImagePhase = ImagePhase.PLANNED
    definition: str | None = None
    version: str | None = None
    version_id: str | None = None
    target_regions: list[RegionTarget] = Field(default_factory=list)
    regions: list[RegionStatus] = Field(default_factory=list)
    source_deleted: bool = False
    kept_reason: str | None = None
    error: str | None = None
    notes: list[str] = Field(default_factory=list)
    # What the version is (or will be): the definition's security type, the version's end of
    # life and whether its deletion is blocked before then; scale sets that use the image.
    security_type: str | None = None
    end_of_life_date: datetime | None = None
    deletion_blocked: bool | None = None
    scale_sets: list[str] = Field(default_factory=list)
    decision: ImageDecision | None = None
    version_started_at: datetime | None = None
    replicated_at: datetime | None = None
    finished_at: datetime | None = None

    def fail(self, message: str, at: datetime) -> None:
        self.phase = ImagePhase.FAILED
        self.error = bounded(message)
        self.kept_reason = self.kept_reason or "the migration of this image failed"
        self.finished_at = at

    def keep(self, reason: str, at: datetime) -> None:
        self.phase = ImagePhase.KEPT
        self.kept_reason = bounded(reason)
        self.finished_at = at

    def skip(self, reason: str, at: datetime) -> None:
        self.phase = ImagePhase.SKIPPED
        self.kept_reason = bounded(reason)
        self.finished_at = at

    def mark_deleted(self, at: datetime) -> None:
        self.phase = ImagePhase.DELETED
        self.source_deleted = True
        self.kept_reason = None
        self.finished_at = at

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(bounded(text) or "")


def counts(images: Iterable[ImageState]) -> dict[str, int]:
    return dict(Counter(image.phase.value for image in images))


class BatchSummary(Problems):
    """A batch at its own level: its custom status (its images live in its images entity)."""

    migration_id: str
    batch: int
    phase: Phase = Phase.INSPECTING
    summary: dict[str, int] = Field(default_factory=dict)


class BatchState(Problems):
    """One batch's images, each in full."""

    migration_id: str
    batch: int
    phase: Phase = Phase.INSPECTING
    images: list[ImageState] = Field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return counts(self.images)

    def brief(self) -> BatchSummary:
        return BatchSummary(
            migration_id=self.migration_id,
            batch=self.batch,
            phase=self.phase,
            summary=self.summary(),
            problems=self.problems,
            more_problems=self.more_problems,
        )


class MigrationOutcome(StrEnum):
    """How a finished migration ended, beside Durable's runtime status (which says only that
    the orchestration ran to its end, however many images it migrated)."""

    ALL_MIGRATED = "allMigrated"
    PARTLY_MIGRATED = "partlyMigrated"
    NONE_MIGRATED = "noneMigrated"


def outcome(summary: dict[str, int]) -> MigrationOutcome:
    """All, some or none of the images migrated, from counts by phase."""
    total = sum(summary.values())
    migrated = sum(n for phase, n in summary.items() if phase in MIGRATED_PHASES)
    if total and migrated == total:
        return MigrationOutcome.ALL_MIGRATED
    return MigrationOutcome.PARTLY_MIGRATED if migrated else MigrationOutcome.NONE_MIGRATED


class Refusal(StrEnum):
    """Why a decision decided nothing although images were undecided."""

    LATE = "late"  # it reached the migration at or after the approval's deadline
    LINK_SPENT = "linkSpent"  # its link's round (or a later one) was used already


class DecisionRecord(Data):
    decision: Decision
    # The request that made it (the endpoint waits to see its own decision recorded).
    request_id: str | None = None
    by: str | None = None
    reason: str | None = None
    principal: str | None = None
    at: datetime
    images: int  # how many images it decided
    refused: Refusal | None = None


class FleetApproval(Data):
    """The one approval a migration asks for, once every image has replicated or failed:
    decisions may cover all images or named ones, until each is decided or the deadline."""

    required: bool = False
    deadline: datetime | None = None
    asked_at: datetime | None = None
    approved: int = 0
    rejected: int = 0
    timed_out: int = 0
    undecided: int = 0
    decisions: list[DecisionRecord] = Field(default_factory=list)
    # Signed links of this round of notices and every earlier one are spent (a decision was
    # recorded with one of them); -1: none is.
    links_spent: int = -1

    @property
    def awaiting(self) -> bool:
        return self.required and self.undecided > 0 and self.timed_out == 0

    def record(self, record: DecisionRecord) -> None:
        shown = record.model_copy(
            update={
                "by": bounded(record.by, MAX_NAME_SHOWN),
                "principal": bounded(record.principal, MAX_NAME_SHOWN),
                "reason": bounded(record.reason, MAX_REASON_SHOWN),
            }
        )
        self.decisions = [*self.decisions, shown][-MAX_DECISIONS_SHOWN:]


class SelectionReport(Data):
    """What selecting by scope found: listed, taken, and left for others (the scopes themselves
    are in the request: fifty of them would not fit a status)."""

    scopes: int = 0
    listed: int = 0
    selected: int = 0
    held_by_others: int = 0
    over_the_limit: int = 0


class MigrationState(Problems):
    """The migration's own state: complete at its level, small whatever the fleet's size."""

    migration_id: str
    gallery: str
    delete_source: str
    trigger: str = "http"
    phase: Phase = Phase.INSPECTING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    images: int = 0
    batches: int = 0
    selection: SelectionReport | None = None
    approval: FleetApproval = Field(default_factory=FleetApproval)
    # Counts by image phase, as the batches last reported (the view reads the batches live).
    summary: dict[str, int] = Field(default_factory=dict)


class ApprovalDecision(Data):
    """The payload of the ``Approval`` event the approve and reject endpoints raise.

    ``images`` names the sources it decides; ``None`` decides every image still undecided.
    """

    approved: bool
    by: str
    reason: str | None = None
    principal: str | None = None
    images: list[str] | None = None
    request_id: str | None = None
    # The round of the signed link it came through (None: the API).
    link: int | None = None


class BatchReport(Data):
    """What a batch tells its migration: it has started its versions (``prepared``), or every
    image of it has replicated or failed (``replicated``, with the sources that replicated)."""

    batch: int
    stage: str  # "prepared" or "replicated"
    summary: dict[str, int] = Field(default_factory=dict)
    replicated: list[str] = Field(default_factory=list)


class BatchDecision(Data):
    """Decisions the migration hands a batch, numbered so that none is lost or taken twice."""

    seq: int
    approved: list[str] = Field(default_factory=list)
    rejected: list[str] = Field(default_factory=list)
    timed_out: list[str] = Field(default_factory=list)
    by: str | None = None
    reason: str | None = None
    principal: str | None = None
    at: datetime
