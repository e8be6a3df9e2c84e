"""What a starter hands an orchestration: the request, the settings it runs under, and its ids.

Orchestrations read nothing from the environment; everything they depend on is in this input,
so that every replay decides the same way.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field

from migration.config.settings import Settings
from migration.domain.facts import Data
from migration.domain.request import MigrationRequest

ORCHESTRATOR = "migrate"
REPLICATION_WATCHER = "watch_replication"
APPROVAL_EVENT = "Approval"


class Options(Data):
    max_data_disk_gb: int = 1024
    default_publisher: str | None = None
    replication_timeout_seconds: float = 24 * 3600
    poll_min_seconds: float = 60
    poll_max_seconds: float = 900
    approval_timeout_seconds: float = 3 * 24 * 3600
    skip_migrated: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, request: MigrationRequest) -> Options:
        return cls(
            max_data_disk_gb=settings.max_data_disk_gb,
            default_publisher=settings.default_publisher,
            replication_timeout_seconds=settings.replication_timeout.total_seconds(),
            poll_min_seconds=settings.poll_min.total_seconds(),
            poll_max_seconds=settings.poll_max.total_seconds(),
            approval_timeout_seconds=request.approval_timeout_or(
                settings.default_approval_timeout
            ).total_seconds(),
        )


class MigrationInput(Data):
    migration_id: str
    request: dict[str, object]
    options: Options = Field(default_factory=Options)
    trigger: str = "http"
    claims: list[str] = Field(default_factory=list)

    def parsed_request(self) -> MigrationRequest:
        # Validated once by the starter; here "now" is pinned so that a replay months later
        # does not reject an end-of-life date that has since passed.
        # Repeats were refused then too: no need to look for them again on every replay.
        context = {
            "now": _EPOCH,
            "max_images": 2**31,
            "max_approval_timeout": timedelta.max,
            "repeats_checked": True,
        }
        return MigrationRequest.model_validate(self.request, context=context)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def watcher_id(migration_id: str) -> str:
    # Its own prefix: a listing of migrations by prefix must not spend its page on watchers.
    return f"watch-{migration_id}"
