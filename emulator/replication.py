"""How long a version takes to replicate to each target region, and how its progress moves
(see :class:`ReplicationModel` and ``emulator/progress.py``)."""

from __future__ import annotations

import random

from emulator.config import ReplicationModel
from emulator.progress import RegionProfile, draw_profile, weights_of
from emulator.regions import Region, region_key


def replication_seconds(
    model: ReplicationModel,
    *,
    seed: int,
    version_key: str,
    region: Region,
    source_region: Region,
    size_gb: int,
    replicas: int,
) -> float:
    """Simulated seconds to replicate ``size_gb`` to ``region`` with ``replicas`` replicas,
    before a ``spread`` profile stretches them."""
    factors = {region_key(name): factor for name, factor in model.region_factors.items()}
    seconds = model.base_seconds + size_gb * model.seconds_per_gb
    seconds *= factors.get(region.name, 1.0)
    if region.name == source_region.name:
        seconds *= model.source_region_factor
    elif region.geography != source_region.geography:
        seconds *= model.cross_geography_factor
    seconds *= 1 + model.per_extra_replica * (replicas - 1)
    # One generator per (seed, version, region): the same run gives the same durations whatever
    # order requests arrive in.
    rng = random.Random(f"{seed}:{version_key}:{region.name}")
    seconds *= rng.uniform(1 - model.jitter, 1 + model.jitter)
    return seconds


def region_profile(
    model: ReplicationModel, *, seed: int, version_key: str, region: Region
) -> RegionProfile:
    """The progress profile ``region`` of the version ``version_key`` follows."""
    return draw_profile(
        weights_of(model.profile), seed=seed, version_key=version_key, region=region.name
    )
