"""What a starter hands an orchestration: the request, the settings it runs under, and its ids.

Orchestrations read nothing from the environment; everything they depend on is in this input,
so that every replay decides the same way.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import azure.durable_functions as df
from pydantic import Field

from migration.config.settings import Settings
from migration.domain.facts import Data, Inspection
from migration.domain.plan import PlanRules
from migration.domain.request import MigrationRequest

ORCHESTRATOR = "migrate"
# Every migration's instance id starts so (listing migrations asks Durable for this prefix); the
# instances a migration starts (claims, watchers) have prefixes of their own.
MIGRATION_PREFIX = "mig-"
REPLICATION_WATCHER = "watch_replication"
APPROVAL_EVENT = "Approval"


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
    replication_timeout_seconds: float
    poll_min_seconds: float
    poll_max_seconds: float
    approval_timeout_seconds: float
    skip_migrated: bool = False

    @classmethod
    def from_settings(
        cls, settings: Settings, request: MigrationRequest, *, skip_migrated: bool = False
    ) -> Options:
        return cls(
            plan=settings.plan_rules(),
            replication_timeout_seconds=settings.replication_timeout.total_seconds(),
            poll_min_seconds=settings.poll_min.total_seconds(),
            poll_max_seconds=settings.poll_max.total_seconds(),
            approval_timeout_seconds=request.approval_timeout_or(
                settings.default_approval_timeout
            ).total_seconds(),
            skip_migrated=skip_migrated,
        )


class MigrationInput(Data):
    """An orchestration's input: the request, validated once by its starter, and its options."""

    migration_id: str
    request: MigrationRequest
    options: Options
    trigger: str = "http"
    claims: list[str] = Field(default_factory=list)
    # What the starter already read to decide to start (an Event Grid start), so that the
    # orchestration plans from it instead of reading the same resources again.
    inspection: Inspection | None = None


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


def watcher_id(migration_id: str) -> str:
    # Its own prefix: a listing of migrations by prefix must not spend its page on watchers.
    return f"watch-{migration_id}"
