"""Image versions: start one (never waiting for replication) and read its replication status."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm import versions
from migration.domain.plan import ImagePlan
from migration.durable.outcome import capture

bp = df.Blueprint()


@bp.activity_trigger(input_name="payload", activity=names.START_VERSION)
def start_version(payload: dict[str, Any]) -> dict[str, Any]:
    image = ImagePlan.from_json(payload["image"])
    return capture(
        lambda: versions.start_version(payload["gallery"], image, payload["migrationId"]).to_json()
    )


@bp.activity_trigger(input_name="payload", activity=names.GET_VERSIONS)
def get_versions(payload: dict[str, Any]) -> dict[str, Any]:
    """Replication status of many versions in one activity: one history entry per poll round."""
    wanted = [(v["definition"], v["version"]) for v in payload["versions"]]
    return capture(lambda: versions.get_versions(payload["gallery"], wanted))
