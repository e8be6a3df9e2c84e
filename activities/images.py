"""Managed images: read one; delete one once its version proves the data is safe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm import images
from migration.durable.outcome import capture

bp = df.Blueprint()


@bp.activity_trigger(input_name="source", activity=names.INSPECT_IMAGE)
def inspect_image(source: str) -> dict[str, Any]:
    return capture(lambda: images.get_image(source).to_json())


@bp.activity_trigger(input_name="payload", activity=names.DELETE_SOURCE)
def delete_source(payload: dict[str, Any]) -> dict[str, Any]:
    return capture(
        lambda: images.delete_source(
            payload["source"],
            payload["gallery"],
            payload["definition"],
            payload["version"],
            delete_in_use=bool(payload.get("deleteInUse")),
            block_version=bool(payload.get("blockVersion")),
            end_of_life=_when(payload.get("endOfLife")),
        )
    )


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
