"""The regions a subscription has, from ARM's own locations list.

A request that names a region the gallery's subscription does not have would start work that can
only fail, and might leave a definition behind before the version PUT is refused; the door asks
this module instead, before anything starts.

The list (``GET /subscriptions/{id}/locations``, ``SubscriptionClient.subscriptions.
list_locations``, api-version 2022-12-01, one read needing
``Microsoft.Resources/subscriptions/locations/read``) also holds logical locations (geographies
such as ``europe``, and ``global``) where nothing can be placed: only ``regionType: Physical``
entries count as regions.

The answer is kept per subscription (and ARM endpoint) for :data:`CACHE_SECONDS` in each worker
process: regions appear a few times a year, while a burst of requests should cost one read, not
one each. A read that fails is not kept, so the next request asks again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from migration.arm.client import endpoint, subscription_client
from migration.arm.errors import arm_errors
from migration.domain.rules import normalize_region

# How long a worker trusts a subscription's list (seconds).
CACHE_SECONDS = 600.0
PHYSICAL = "physical"


@dataclass(frozen=True)
class _Read:
    regions: frozenset[str]
    at: float


_lock = threading.Lock()
_cache: dict[tuple[str, str], _Read] = {}


def subscription_regions(
    subscription_id: str, *, now: Callable[[], float] = time.monotonic
) -> frozenset[str]:
    """The physical regions of ``subscription_id`` as short names (``westus2``).

    Raises :class:`~migration.arm.errors.ArmError` when ARM does not answer.
    """
    key = (endpoint(), subscription_id.lower())
    with _lock:
        kept = _cache.get(key)
    if kept is not None and now() - kept.at < CACHE_SECONDS:
        return kept.regions
    with arm_errors(f"listing the locations of subscription {subscription_id}"):
        listed = list(subscription_client().subscriptions.list_locations(subscription_id))
    regions = frozenset(
        normalize_region(str(location.name))
        for location in listed
        if location.name
        and location.metadata is not None
        and (location.metadata.region_type or "").lower() == PHYSICAL
    )
    with _lock:
        _cache[key] = _Read(regions, now())
    return regions


def clear_location_cache() -> None:
    """Forget every list read (tests change endpoints between cases)."""
    with _lock:
        _cache.clear()
