"""What a notification says, whatever it is sent to: the versioned notice.

The generic JSON webhook gets the notice itself (``schema`` and ``version`` say which shape;
a change that removes or retypes a field is a new version); Teams and Slack get it laid out
(``migration.notify.payloads``). A notice of a fleet lists at most a few images by name and
counts the rest: the page behind its link shows them all.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from migration.domain.facts import Data, RegionStatus
from migration.domain.state import ImagePhase, ImageState
from migration.notify.schedule import NoticeKind

SCHEMA = "https://gallery-migrator/schemas/notice"
SCHEMA_VERSION = 1

TITLES = {
    NoticeKind.AWAITING: "Approval needed",
    NoticeKind.REMINDER: "Reminder: approval needed",
    NoticeKind.ESCALATION: "Escalation: approval about to time out",
    NoticeKind.OUTCOME: "Migration finished",
}


class RegionLine(Data):
    name: str
    state: str
    progress: int = 0


class ImageLine(Data):
    """One image as a notice lists it."""

    source: str
    name: str
    phase: str
    definition: str | None = None
    version: str | None = None
    version_id: str | None = None
    regions: list[RegionLine] = Field(default_factory=list)
    source_deleted: bool = False
    kept_reason: str | None = None
    decision: str | None = None
    decided_by: str | None = None

    @classmethod
    def of(cls, image: ImageState) -> ImageLine:
        parts = image.source.split("/")
        group = parts[4] if len(parts) > 4 else ""
        regions = image.regions or [
            # Not polled yet: the targets, with no state.
            RegionStatus(name=t.name, state="Pending")
            for t in image.target_regions
        ]
        return cls(
            source=image.source,
            name=f"{group}/{parts[-1]}" if group else parts[-1],
            phase=image.phase.value,
            definition=image.definition,
            version=image.version,
            version_id=image.version_id,
            regions=[RegionLine(name=r.name, state=r.state, progress=r.progress) for r in regions],
            source_deleted=image.source_deleted,
            kept_reason=image.kept_reason,
            decision=image.decision.decision.value if image.decision else None,
            decided_by=image.decision.by if image.decision else None,
        )


class Links(Data):
    approve: str | None = None
    reject: str | None = None
    page: str | None = None


class ApprovalCounts(Data):
    undecided: int = 0
    approved: int = 0
    rejected: int = 0
    timed_out: int = 0


class Notice(Data):
    """Version 1 of the notice (documented in the README, "Notifications")."""

    schema_url: str = Field(default=SCHEMA, alias="schema")
    version: int = SCHEMA_VERSION
    event: NoticeKind
    # The same on every try and re-send of this notice (and new for the next one): a receiver
    # that sees it twice has been told twice the same thing, and may drop the copy.
    notice_id: str = ""
    title: str
    migration_id: str
    gallery: str
    trigger: str
    delete_source: str
    sent_at: datetime
    # Approval notices: the deadline, and which round of links this one carries.
    deadline: datetime | None = None
    round: int | None = None
    image_count: int = 0
    # Counts by image phase (``replicated``, ``deleted``, ``kept``, ...).
    summary: dict[str, int] = Field(default_factory=dict)
    approval: ApprovalCounts | None = None
    images: list[ImageLine] = Field(default_factory=list)
    # Images of interest not listed (they are on the page).
    more_images: int = 0
    links: Links = Field(default_factory=Links)
    problems: list[str] = Field(default_factory=list)

    @property
    def asks_for_decision(self) -> bool:
        return self.event != NoticeKind.OUTCOME

    def shortened(self, listed: int) -> Notice:
        """The same notice listing only the first ``listed`` images (the rest counted)."""
        kept = self.images[:listed]
        more = self.more_images + len(self.images) - len(kept)
        return self.model_copy(update={"images": kept, "more_images": more})


def wanted(kind: NoticeKind, image: ImageState) -> bool:
    """Whether a notice of ``kind`` is about ``image``: those awaiting a decision, or, once the
    migration has finished, every image."""
    if kind == NoticeKind.OUTCOME:
        return True
    return image.phase == ImagePhase.REPLICATED and image.decision is None


def outcome_order(image: ImageState) -> int:
    """A finished migration lists what needs a look first: failures, then kept, then deleted."""
    return {
        ImagePhase.FAILED: 0,
        ImagePhase.BLOCKED: 1,
        ImagePhase.KEPT: 2,
        ImagePhase.SKIPPED: 3,
    }.get(image.phase, 4)


class NoticeRequest(Data):
    """What an orchestration asks the notify activity to tell: the migration at its own level
    (the activity reads the images themselves, which no orchestration holds)."""

    kind: NoticeKind
    notice_id: str = ""
    migration_id: str
    gallery: str
    trigger: str
    delete_source: str
    batches: int
    image_count: int
    at: datetime
    summary: dict[str, int] = Field(default_factory=dict)
    approval: ApprovalCounts | None = None
    deadline: datetime | None = None
    round: int | None = None
    problems: list[str] = Field(default_factory=list)


def compose(
    request: NoticeRequest, images: list[ImageState], max_images: int, links: Links
) -> Notice:
    """The notice of ``request`` about ``images`` (every image it is about that was read, in the
    migration's order), listing the first ``max_images``."""
    about = [i for i in images if wanted(request.kind, i)]
    if request.kind == NoticeKind.OUTCOME:
        about.sort(key=lambda i: (outcome_order(i), i.index))
    total = len(about)
    if request.kind != NoticeKind.OUTCOME and request.approval is not None:
        total = max(total, request.approval.undecided)
    listed = [ImageLine.of(i) for i in about[:max_images]]
    return Notice(
        event=request.kind,
        notice_id=request.notice_id,
        title=TITLES[request.kind],
        migration_id=request.migration_id,
        gallery=request.gallery,
        trigger=request.trigger,
        delete_source=request.delete_source,
        sent_at=request.at,
        deadline=request.deadline,
        round=request.round,
        image_count=request.image_count,
        summary=request.summary,
        approval=request.approval,
        images=listed,
        more_images=total - len(listed),
        links=links,
        problems=request.problems,
    )
