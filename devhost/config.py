"""What devhost reads from an app directory: host.json and local.settings.json."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Defaults of the Functions host and the Durable extension (v2.x).
DEFAULT_ROUTE_PREFIX = "api"
DEFAULT_HUB_NAME = "TestHubName"  # what `func start` uses when host.json names no hub
DEFAULT_CONCURRENCY = 10 * (os.cpu_count() or 1)
# The Azure Storage provider's default outside the Consumption plan (50 there).
DEFAULT_ENTITY_BATCH_SIZE = 5000


@dataclass(frozen=True)
class HostConfig:
    route_prefix: str = DEFAULT_ROUTE_PREFIX
    hub_name: str = DEFAULT_HUB_NAME
    max_concurrent_activities: int = DEFAULT_CONCURRENCY
    max_concurrent_orchestrators: int = DEFAULT_CONCURRENCY
    # "NonRunningStates" (the default): starting an id that is Running/Pending/Suspended fails.
    overridable_existing_instance_states: str = "NonRunningStates"
    max_entity_operation_batch_size: int = DEFAULT_ENTITY_BATCH_SIZE


def _expand_setting(value: str, settings: Mapping[str, str]) -> str:
    """host.json may name an app setting as %NAME%, as the Functions host allows."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return settings.get(name, os.environ.get(name, match.group(0)))

    return re.sub(r"%([^%]+)%", replace, value)


def _find(mapping: Mapping[str, Any], key: str) -> Any:
    # host.json keys are case-insensitive.
    for candidate, value in mapping.items():
        if candidate.lower() == key.lower():
            return value
    return None


def read_host_config(app_dir: Path, settings: Mapping[str, str]) -> HostConfig:
    path = app_dir / "host.json"
    if not path.exists():
        return HostConfig()
    data = json.loads(path.read_text(encoding="utf-8"))
    extensions = _find(data, "extensions") or {}
    http = _find(extensions, "http") or {}
    durable = _find(extensions, "durableTask") or {}

    route_prefix = _find(http, "routePrefix")
    hub_name = _find(durable, "hubName")
    activities = _find(durable, "maxConcurrentActivityFunctions")
    orchestrators = _find(durable, "maxConcurrentOrchestratorFunctions")
    overridable = _find(durable, "overridableExistingInstanceStates")
    batch_size = _find(durable, "maxEntityOperationBatchSize")
    return HostConfig(
        route_prefix=DEFAULT_ROUTE_PREFIX if route_prefix is None else str(route_prefix).strip("/"),
        hub_name=_expand_setting(str(hub_name), settings) if hub_name else DEFAULT_HUB_NAME,
        max_concurrent_activities=int(activities) if activities else DEFAULT_CONCURRENCY,
        max_concurrent_orchestrators=int(orchestrators) if orchestrators else DEFAULT_CONCURRENCY,
        overridable_existing_instance_states=str(overridable or "NonRunningStates"),
        max_entity_operation_batch_size=int(batch_size)
        if batch_size
        else DEFAULT_ENTITY_BATCH_SIZE,
    )


def read_local_settings(app_dir: Path) -> dict[str, str]:
    """The ``Values`` of local.settings.json: `func start` makes them environment variables."""
    path = app_dir / "local.settings.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    values = data.get("Values") or {}
    return {str(key): "" if value is None else str(value) for key, value in values.items()}
