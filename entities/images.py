"""The images of one batch, in full: where a migration's per-image detail lives.

A batch holds many images, and each image's state (its ids, every region, messages, its
decision) is far more than Durable's 16 KB custom status can hold for a batch of them. So the
batch keeps it in this entity, keyed by the batch's instance id: the batch signals the images
that changed (``images``), its replication watcher the live regions of those still copying
(``regions``), and the status endpoints read the entity's state. An entity runs one operation at
a time, and signals from one sender arrive in the order they were sent.
"""

from __future__ import annotations

from typing import Any

import azure.durable_functions as df

from migration.durable.jobs import IMAGES_ENTITY

bp = df.Blueprint()


@bp.entity_trigger(context_name="context", entity_name=IMAGES_ENTITY)
def migration_images(context: df.DurableEntityContext) -> None:
    state: dict[str, Any] = context.get_state(dict) or {}
    images: dict[str, Any] = state.setdefault("images", {})
    change = context.get_input() or {}
    if context.operation_name == "images":
        # Whole images, by their position in the migration.
        for image in change.get("images", []):
            images[str(image["index"])] = image
        state.update({k: v for k, v in change.items() if k != "images"})
    elif context.operation_name == "regions":
        # Live regions of images still copying: {position: [region, ...]}.
        for index, regions in change.items():
            image = images.get(str(index))
            if image is not None and image.get("phase") == "replicating":
                image["regions"] = regions
    context.set_state(state)
