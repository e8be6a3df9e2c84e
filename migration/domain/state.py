"""A migration's state as users see it (published and read back by ``migration.durable.status``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from migration.domain.facts import Data, RegionStatus, RegionTarget


class Phase(StrEnum):
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


class ImageState(Data):
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
    version_started_at: datetime | None = None
    replicated_at: datetime | None = None
    finished_at: datetime | None = None

    def fail(self, message: str, at: datetime) -> None:
        self.phase = ImagePhase.FAILED
        self.error = message
        self.kept_reason = self.kept_reason or "the migration of this image failed"
        self.finished_at = at

    def keep(self, reason: str, at: datetime) -> None:
        self.phase = ImagePhase.KEPT
        self.kept_reason = reason
        self.finished_at = at

    def mark_deleted(self, at: datetime) -> None:
        self.phase = ImagePhase.DELETED
        self.source_deleted = True
        self.kept_reason = None
        self.finished_at = at

    @property
    def replicated(self) -> bool:
        return self.phase == ImagePhase.REPLICATED


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


class MigrationOutcome(StrEnum):
    """How a finished migration ended, beside Durable's runtime status (which says only that
    the orchestration ran to its end, however many images it migrated)."""

    ALL_MIGRATED = "allMigrated"
    PARTLY_MIGRATED = "partlyMigrated"
    NONE_MIGRATED = "noneMigrated"


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    TIMED_OUT = "timedOut"


class ApprovalState(Data):
    required: bool = False
    deadline: datetime | None = None
    decision: Decision | None = None
    by: str | None = None
    reason: str | None = None
    at: datetime | None = None

    @property
    def awaiting(self) -> bool:
        return self.required and self.decision is None


class MigrationState(Data):
    migration_id: str
    gallery: str
    delete_source: str
    trigger: str = "http"
    phase: Phase = Phase.INSPECTING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    images: list[ImageState] = Field(default_factory=list)
    approval: ApprovalState = Field(default_factory=ApprovalState)
    problems: list[str] = Field(default_factory=list)

    def outcome(self, *, ended: bool) -> MigrationOutcome | None:
        """All, some or none of the images migrated; ``None`` while the migration goes on."""
        if not ended and self.phase != Phase.DONE:
            return None
        migrated = sum(1 for image in self.images if image.phase in MIGRATED_PHASES)
        if self.images and migrated == len(self.images):
            return MigrationOutcome.ALL_MIGRATED
        return MigrationOutcome.PARTLY_MIGRATED if migrated else MigrationOutcome.NONE_MIGRATED

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for image in self.images:
            counts[image.phase.value] = counts.get(image.phase.value, 0) + 1
        return counts

    def to_result(self) -> dict[str, Any]:
        result = self.to_json()
        result["summary"] = self.summary()
        return result


class ApprovalDecision(Data):
    """The payload of the ``Approval`` event that the approve and reject endpoints raise."""

    approved: bool
    by: str
    reason: str | None = None
