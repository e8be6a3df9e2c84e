"""The HTTP API's answers as models: every JSON body the API sends is checked against one of
these before it leaves (:func:`triggers.responses.json_response`), and the OpenAPI document
(:mod:`triggers.openapi`) is generated from them, so the two cannot drift apart.

Each model forbids keys it does not name: a view that grows a key fails its tests until the key
is described here. Parts that are the domain's own models (an image's state, a plan, the
approval) are described by those models.

Extension points: a new answer is one more model here and one more entry in
``triggers.openapi.ROUTES``; a new link is one more field on :class:`Links`. Pages (HTML) are
described by their media type only.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from migration.domain.body import FieldError
from migration.domain.definitions import DefinitionPlan
from migration.domain.plan import ImagePlan
from migration.domain.request import DeleteSource
from migration.domain.state import (
    FleetApproval,
    ImagePhase,
    ImageState,
    MigrationOutcome,
    Phase,
    SelectionReport,
)


class _Answer(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class RuntimeStatus(StrEnum):
    """Durable's runtime status of the migration's orchestration (``Unknown`` if none)."""

    RUNNING = "Running"
    PENDING = "Pending"
    COMPLETED = "Completed"
    FAILED = "Failed"
    TERMINATED = "Terminated"
    CONTINUED_AS_NEW = "ContinuedAsNew"
    SUSPENDED = "Suspended"
    CANCELED = "Canceled"
    UNKNOWN = "Unknown"


class Problem(_Answer):
    """RFC 9457 problem details (``application/problem+json``), with this API's extensions."""

    type: str = Field(description="urn:gallery-migrator:problem:<kind>")
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = Field(
        default=None, description="Each bad field (the first 100), for 400 and 403.", max_length=100
    )
    errors_not_shown: int | None = Field(
        default=None, description="How many more field errors there are."
    )
    source: str | None = Field(default=None, description="409: the source that is held.")
    migration_id: str | None = Field(
        default=None, description="409: the migration that holds the source."
    )
    status_uri: str | None = Field(default=None, description="409: that migration's status.")
    images: list[str] | None = Field(
        default=None, description="409: the named images that are not waiting for a decision."
    )


class Links(_Answer):
    """Links back into the API, built from the URL the request came in on (no keys in them)."""

    status_uri: str
    images_uri: str
    approve_uri: str
    reject_uri: str


class Started(Links):
    """202 of a start: the migration's id and links (``Location`` is ``statusUri``)."""

    id: str
    migration_id: str
    # Durable's check-status links, only with INCLUDE_DURABLE_LINKS (in Azure they carry the
    # extension's system key).
    status_query_get_uri: str | None = None
    send_event_post_uri: str | None = None
    terminate_post_uri: str | None = None
    rewind_post_uri: str | None = None
    purge_history_delete_uri: str | None = None
    restart_post_uri: str | None = None
    suspend_post_uri: str | None = None
    resume_post_uri: str | None = None


class PlanSelection(_Answer):
    """What a page of a scope-selected dry run listed, and how many of those it planned."""

    listed: int
    selected: int


class PlanAnswer(_Answer):
    """200 of a dry run: what each image would get, and what is in the way."""

    gallery: str
    problems: list[str]
    images: list[ImagePlan]
    definitions_to_create: list[DefinitionPlan]
    valid: bool = Field(description="No problem anywhere: a start would go ahead.")
    selection: PlanSelection | None = Field(default=None, description="With scopes.")
    continuation_token: str | None = Field(
        default=None, description="The next page of the selection: post the same body with it."
    )


class RegionTotals(_Answer):
    """One target region over the whole migration."""

    name: str
    completed: int
    replicating: int
    failed: int
    progress: int = Field(description="Mean progress (percent) of the images copying there.")


class MigrationView(_Answer):
    """200 of a migration's status: complete at its level, with its first page of images."""

    id: str
    runtime_status: RuntimeStatus
    outcome: MigrationOutcome | None = Field(description="How it ended; null while it runs.")
    created_time: datetime | None
    last_updated_time: datetime | None
    phase: Phase | None
    awaiting_approval: bool
    gallery: str
    delete_source: DeleteSource
    trigger: str
    image_count: int
    batches: int
    summary: dict[ImagePhase, int] = Field(description="Images by phase.")
    regions: list[RegionTotals]
    approval: FleetApproval
    selection: SelectionReport | None
    problems: list[str]
    more_problems: int
    images: list[ImageState] = Field(description="The first images; the rest are a page away.")
    error: str | None
    links: Links
    images_next_uri: str | None = Field(
        default=None, description="The next page of images, when there are more."
    )


class MigrationSummary(_Answer):
    """One migration in the list."""

    id: str
    runtime_status: RuntimeStatus
    outcome: MigrationOutcome | None
    created_time: datetime | None
    last_updated_time: datetime | None
    phase: Phase | None
    gallery: str | None
    trigger: str | None
    images: int
    summary: dict[ImagePhase, int]
    links: Links


class MigrationList(_Answer):
    """200 of the list: recent migrations, newest first."""

    migrations: list[MigrationSummary]
    count: int


class ImagesPage(_Answer):
    """200 of a page of a migration's images, each in full."""

    images: list[ImageState]
    count: int
    continuation_token: str | None = Field(default=None, description="Where the next page starts.")
    next_uri: str | None = None


class DecisionAnswer(_Answer):
    """202 of an approval or rejection, once the migration recorded it."""

    migration_id: str
    decision: Literal["approved", "rejected"]
    by: str
    reason: str | None
    images: int = Field(description="How many images it decided.")
    recorded: bool
    status_uri: str


class CancelAnswer(_Answer):
    """202 of a cancel: what was ended and given back (``Location`` is ``statusUri``)."""

    migration_id: str
    cancelled: bool
    reason: str
    batches_ended: int
    watchers_ended: int
    notices_ended: int = Field(description="Notifications still being delivered, stopped.")
    claims_released: int
    not_yet_ended: list[str] = Field(description="Instances the host had not ended yet.")
    status_uri: str
