"""Asking ARM's budget before calling: what each activity costs, and reserving it.

Every fan-out of ARM activities (``orchestrators.calls.call_all``) first reserves what its calls
will cost in the subscription's buckets (``migration.domain.budget``, kept by the
``entities.budget`` entities that every orchestration of the app shares) and waits on a durable
timer until the buckets allow them. The costs are estimates from each activity's input (ARM
meters by the subscription in the request's URL; a call is counted against the subscription of
the resource it reads or writes).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import datetime
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.domain.budget import MAX_RESERVATION, Kind, budget_key
from migration.domain.ids import parse_gallery_id, parse_image_id
from migration.durable.jobs import BUDGET_ENTITY
from migration.durable.outcome import Outcome

Cost = dict[Kind, int]


def cost_of(name: str, payload: Any) -> tuple[str, Cost] | None:
    """The subscription an activity's calls go to, and how many of each kind it makes."""
    if name == names.INSPECT:
        request = payload["request"]
        images = len(request.get("images") or [])
        # Each image, the gallery and its definitions, a listing per definition, the scale sets
        # and the encryption sets.
        return _gallery(request["gallery"]), {Kind.READS: 2 * images + 4}
    # A gallery write spends one of ARM's writes and one of Compute's gallery writes.
    if name == names.ENSURE_DEFINITION:
        return _gallery(payload["gallery"]), {Kind.READS: 3, Kind.WRITES: 1, Kind.GALLERY_WRITES: 1}
    if name == names.START_VERSION:
        return _gallery(payload["gallery"]), {Kind.READS: 1, Kind.WRITES: 1, Kind.GALLERY_WRITES: 1}
    if name == names.GET_VERSIONS:
        return _gallery(payload["gallery"]), {Kind.READS: len(payload["versions"])}
    if name == names.DELETE_SOURCE:
        # The version, the image, the scale sets, the version again (re-PUT to block its
        # deletion: a gallery write), the image again, its delete.
        cost = {Kind.READS: 5, Kind.WRITES: 1, Kind.GALLERY_WRITES: 1, Kind.DELETES: 1}
        return _image(payload["source"]), cost
    if name == names.INSPECT_IMAGE:
        return _image(payload), {Kind.READS: 1}
    if name == names.SELECT_IMAGES:
        return payload["scope"].split("/")[2], {Kind.READS: 1}
    return None  # no ARM call (events, claims)


def priced(name: str, payload: Any, buckets: dict[str, Any]) -> tuple[str, Cost] | None:
    """:func:`cost_of`, in the kinds the budget knows (an input from before a kind existed
    paces only the kinds it names, so in-flight histories replay as they were)."""
    found = cost_of(name, payload)
    if found is None:
        return None
    subscription, cost = found
    return subscription, {kind: n for kind, n in cost.items() if kind.value in buckets}


def _gallery(gallery_id: str) -> str:
    return parse_gallery_id(gallery_id).subscription


def _image(image_id: str) -> str:
    return parse_image_id(image_id).subscription


def burst(buckets: dict[str, Any], kind: Kind) -> int:
    """The most calls of a kind one reservation takes: they are made at once, so they must fit
    in the bucket at once (``MAX_RESERVATION`` of ARM's, all of a smaller one)."""
    return max(1, min(MAX_RESERVATION, int(buckets[kind.value]["capacity"])))


def chunks(calls: Sequence[tuple[str, Any]], buckets: dict[str, Any]) -> list[list[int]]:
    """Split calls (by index) so that no chunk reserves more of a kind in one subscription than
    :func:`burst` allows (a single call that costs more is a chunk of its own)."""
    found: list[list[int]] = [[]]
    spent: dict[tuple[str, Kind], int] = {}
    for index, (name, payload) in enumerate(calls):
        price = priced(name, payload, buckets)
        if price is not None:
            subscription, cost = price
            if found[-1] and any(
                spent.get((subscription, kind), 0) + n > burst(buckets, kind)
                for kind, n in cost.items()
            ):
                found.append([])
                spent = {}
            for kind, n in cost.items():
                spent[(subscription, kind)] = spent.get((subscription, kind), 0) + n
        found[-1].append(index)
    return [chunk for chunk in found if chunk]


def reserve(
    context: df.DurableOrchestrationContext,
    calls: Sequence[tuple[str, Any]],
    buckets: dict[str, Any],
) -> Generator[Any, Any, None]:
    """Reserve what ``calls`` cost and wait until every bucket allows them."""
    total: dict[tuple[str, Kind], int] = {}
    for name, payload in calls:
        price = priced(name, payload, buckets)
        if price is None:
            continue
        subscription, cost = price
        for kind, n in cost.items():
            total[(subscription, kind)] = total.get((subscription, kind), 0) + n
    if not total:
        return
    now: datetime = context.current_utc_datetime
    # A call that alone costs more than a burst reserves a burst: its calls are made one after
    # another, and ARM's answer paces the rest.
    asks = [
        context.call_entity(
            df.EntityId(BUDGET_ENTITY, budget_key(subscription, kind)),
            "reserve",
            {
                "count": min(n, burst(buckets, kind)),
                "at": now.isoformat(),
                "bucket": buckets[kind.value],
            },
        )
        for (subscription, kind), n in sorted(total.items())
    ]
    answers = yield context.task_all(asks)
    start = max(datetime.fromisoformat(str(a["notBefore"])) for a in answers)
    if start > now:
        yield context.create_timer(start)


def report_remaining(
    context: df.DurableOrchestrationContext,
    outcomes: Sequence[Outcome],
    buckets: dict[str, Any],
) -> None:
    """Tell each bucket the least ARM said was left of it during these calls (its
    ``x-ms-ratelimit-remaining-subscription-*`` headers, ``migration.arm.quota``) when that is
    less than one burst: the budget then counts what its estimates missed. (With more left no
    estimate can overdraw it before the next look, and each signal is an event in the history.)"""
    least: dict[str, int] = {}
    for outcome in outcomes:
        for key, remaining in (outcome.remaining or {}).items():
            least[key] = min(remaining, least.get(key, remaining))
    for key, remaining in sorted(least.items()):
        subscription, _, kind = key.partition("|")
        if kind not in buckets or remaining >= burst(buckets, Kind.named(kind)):
            continue
        context.signal_entity(
            df.EntityId(BUDGET_ENTITY, budget_key(subscription, Kind.named(kind))),
            "observed",
            {"remaining": remaining, "at": context.current_utc_datetime.isoformat()},
        )


def report_throttled(
    context: df.DurableOrchestrationContext, subscription: str, kind: Kind, until: datetime
) -> None:
    """Tell a bucket that ARM throttled a call: it holds every reservation until ``until``."""
    context.signal_entity(
        df.EntityId(BUDGET_ENTITY, budget_key(subscription, kind)),
        "throttled",
        {"until": until.isoformat(), "at": context.current_utc_datetime.isoformat()},
    )
