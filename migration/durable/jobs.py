"""What a starter hands an orchestration: the request, the settings it runs under, and its ids.

Orchestrations read nothing from the environment; everything they depend on is in this input,
so that every replay decides the same way.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import azure.durable_functions as df
from pydantic import Field

from migration.config.settings import Settings
from migration.domain.budget import Bucket
from migration.domain.facts import Data, Inspection
from migration.domain.ids import resource_key
from migration.domain.plan import PlanRules
from migration.domain.request import MigrationRequest
from migration.domain.selection import Batch
from migration.notify.schedule import NotifyPlan

ORCHESTRATOR = "migrate"
BATCH_ORCHESTRATOR = "migrate_batch"
REPLICATION_WATCHER = "watch_replication"
# Entities: each batch's images in full (keyed by the batch's instance id); ARM's budget (keyed
# by subscription, principal and kind of call); version slots (keyed by subscription).
IMAGES_ENTITY = "migration_images"
BUDGET_ENTITY = "arm_budget"
SLOTS_ENTITY = "version_slots"
# Every migration's instance id starts so (listing migrations asks Durable for this prefix); the
# instances a migration starts (batches, watchers, claims) have prefixes of their own.
MIGRATION_PREFIX = "mig-"
BATCH_PREFIX = "batch-"
WATCH_PREFIX = "watch-"
# Events: a decision raised on a migration; a batch's report raised on its migration; the
# migration's decisions raised on a batch, numbered (``Decision-0``, ``Decision-1``, ...) so
# that one arriving while the batch is busy waits under its own name and none is overwritten.
APPROVAL_EVENT = "Approval"
BATCH_REPORT_EVENT = "BatchReport"
# Version write hints (Event Grid, triggers/version_events.py): who watches a version (keyed by
# resource_key of its id), what hints have shown of the event pipeline (keyed by subscription),
# and the event a hint is raised on its watcher as.
VERSION_WATCH_ENTITY = "version_watch"
HINTS_ENTITY = "version_hints"
HINT_EVENT = "VersionWritten"


def version_watch_entity(version_id: str) -> df.EntityId:
    return df.EntityId(VERSION_WATCH_ENTITY, resource_key(version_id))


def hints_entity(subscription: str) -> df.EntityId:
    return df.EntityId(HINTS_ENTITY, subscription.lower())


def decision_event(seq: int) -> str:
    return f"Decision-{seq}"


# Runtime statuses of an instance that is still alive (a migration going on, a claim held).
ACTIVE = frozenset(
    {
        df.OrchestrationRuntimeStatus.Running,
        df.OrchestrationRuntimeStatus.Pending,
        df.OrchestrationRuntimeStatus.ContinuedAsNew,
        df.OrchestrationRuntimeStatus.Suspended,
    }
)


class Options(Data):
    """The settings an orchestration runs under, as its starter read them (defaults: Settings)."""

    plan: PlanRules
    max_images: int
    # ARM's buckets by kind of call, and the most versions created at once per subscription.
    buckets: dict[str, Bucket]
    max_concurrent_versions: int
    replication_timeout_seconds: float
    poll_min_seconds: float
    poll_max_seconds: float
    approval_timeout_seconds: float
    skip_migrated: bool = False
    notify: NotifyPlan = Field(default_factory=NotifyPlan)

    @property
    def budget(self) -> dict[str, Any]:
        """ARM's buckets as ``orchestrators.calls.call_all`` paces calls in them."""
        return {kind: bucket.to_json() for kind, bucket in self.buckets.items()}

    @classmethod
    def from_settings(
        cls, settings: Settings, request: MigrationRequest, *, skip_migrated: bool = False
    ) -> Options:
        return cls(
            plan=settings.plan_rules(),
            max_images=settings.max_images_per_request,
            buckets={kind.value: bucket for kind, bucket in settings.arm_buckets.items()},
            max_concurrent_versions=settings.max_concurrent_versions,
            replication_timeout_seconds=settings.replication_timeout.total_seconds(),
            poll_min_seconds=settings.poll_min.total_seconds(),
            poll_max_seconds=settings.poll_max.total_seconds(),
            approval_timeout_seconds=request.approval_timeout_or(
                settings.default_approval_timeout
            ).total_seconds(),
            skip_migrated=skip_migrated,
            notify=NotifyPlan(
                destinations=[d.key for d in settings.notify],
                reminder_every_seconds=settings.reminder_interval.total_seconds(),
                escalate_before_seconds=settings.escalation_before.total_seconds(),
            ),
        )


class MigrationInput(Data):
    """A migration's input: the request, validated once by its starter, and its options."""

    migration_id: str
    request: MigrationRequest
    options: Options
    trigger: str = "http"
    # The claims its starter took (on the request's explicit images).
    claims: list[str] = Field(default_factory=list)
    # What the starter already read to decide to start (an Event Grid start), so that the
    # orchestration plans from it instead of reading the same resources again.
    inspection: Inspection | None = None


class BatchInput(Data):
    """A batch's input: its share of the images, and what the migration knows of them."""

    migration_id: str
    batch: Batch
    # The request with only this batch's images (no scopes: they are selected already).
    request: MigrationRequest
    options: Options
    # Positions of images selected by scope (an image already migrated is then left alone),
    # and of images another migration holds (skipped, with the holder).
    selected: list[int] = Field(default_factory=list)
    held_by: dict[int, str] = Field(default_factory=dict)
    # Claims this batch gives back when its images are done (one per image it took).
    claims: list[str] = Field(default_factory=list)
    inspection: Inspection | None = None
    # The migration's approval deadline (a batch stops waiting for decisions after it).
    approval_deadline: datetime | None = None


def decoded(value: Any) -> Any:
    """A value that Durable may hand over as JSON text, as the object it stands for.

    The Python client serializes event data twice (azure-functions-durable-python#295), so an
    event raised with ``client.raise_event`` arrives as a JSON string, while one POSTed to the
    management API arrives as the object itself; the status API likewise shows a client-started
    instance's input as a string.
    """
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def new_migration_id() -> str:
    return f"{MIGRATION_PREFIX}{uuid.uuid4().hex}"


def batch_id(migration_id: str, batch: int) -> str:
    return f"{batch_prefix(migration_id)}{batch:04d}"


def images_entity(batch_instance: str) -> df.EntityId:
    return df.EntityId(IMAGES_ENTITY, batch_instance)


def batch_prefix(migration_id: str) -> str:
    """Every batch of a migration has an id starting so (one query lists them)."""
    return f"{BATCH_PREFIX}{migration_id}-"


def watcher_id(instance_id: str) -> str:
    """The replication watcher of a batch (its own prefix: listing by prefix must not spend a
    page of migrations or batches on watchers)."""
    return f"{WATCH_PREFIX}{instance_id}"
