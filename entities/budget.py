"""ARM's request budget, shared by every orchestration of the app: token buckets and slots.

``arm_budget`` (one per subscription, principal and kind of call) answers ``reserve`` with the
instant from which the reserved calls may be made, takes ``throttled`` from a caller ARM refused
and ``observed`` from one ARM told how many calls remain; ``version_slots`` (one per
subscription) grants and takes back the slots a migration needs to create a batch's versions.
The arithmetic is ``migration.domain.budget``'s; an entity runs one operation at a time, which
is what makes a shared budget exact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import azure.durable_functions as df

from migration.domain.budget import Bucket, BucketState, Slots
from migration.durable.jobs import BUDGET_ENTITY, SLOTS_ENTITY

bp = df.Blueprint()


@bp.entity_trigger(context_name="context", entity_name=BUDGET_ENTITY)
def arm_budget(context: df.DurableEntityContext) -> None:
    asked: dict[str, Any] = context.get_input() or {}
    now = datetime.fromisoformat(str(asked["at"]))
    stored = context.get_state(lambda: None)
    if stored is None:
        bucket = Bucket.model_validate(asked.get("bucket") or {"capacity": 1, "refillPerSecond": 1})
        state = BucketState(bucket=bucket, tokens=bucket.capacity, at=now)
    else:
        state = BucketState.from_json(stored)
    if context.operation_name == "reserve":
        start = state.reserve(float(asked["count"]), now)
        context.set_result({"notBefore": start.isoformat()})
    elif context.operation_name == "throttled":
        state.throttled(datetime.fromisoformat(str(asked["until"])), now)
    elif context.operation_name == "observed":
        state.observed(int(asked["remaining"]), now)
    context.set_state(state.to_json())


@bp.entity_trigger(context_name="context", entity_name=SLOTS_ENTITY)
def version_slots(context: df.DurableEntityContext) -> None:
    asked: dict[str, Any] = context.get_input() or {}
    stored = context.get_state(lambda: None)
    slots = Slots.from_json(stored) if stored else Slots(limit=int(asked.get("limit") or 1))
    if "limit" in asked:
        slots.limit = int(asked["limit"])  # the setting as the asker has it now
    if context.operation_name == "acquire":
        context.set_result({"granted": slots.acquire(str(asked["owner"]), int(asked["count"]))})
    elif context.operation_name == "release":
        slots.release(str(asked["owner"]))
    context.set_state(slots.to_json())
