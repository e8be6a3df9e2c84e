"""Managed images: read one; delete one once its version proves the data is safe."""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from activities import names
from migration.arm import gallery
from migration.durable.outcome import capture

bp = df.Blueprint()


@bp.activity_trigger(input_name="source", activity=names.INSPECT_IMAGE)
def inspect_image(source: str) -> dict[str, Any]:
    return capture(lambda: gallery.get_image(source).to_json())


@bp.activity_trigger(input_name="payload", activity=names.DELETE_SOURCE)
def delete_source(payload: dict[str, Any]) -> dict[str, Any]:
    return capture(
        lambda: gallery.delete_source(
            payload["source"],
            payload["gallery"],
            payload["definition"],
            payload["version"],
        )
    )
