"""What a round is made of, drawn from one seeded generator: images, requests, decisions,
faults and kills. Nothing here touches the stack; :mod:`bench.chaos.rounds` plays it.

A round seeds its own managed images in its own resource group (so rounds never share a
source), some tagged for Event Grid's policy (their write events start migrations by
themselves), some used by a scale set, a few that cannot be migrated. Requests overlap on
purpose: two may name one image (the second is refused with 409, or skips it when it selects
by scope), several may share a definition, and some are invalid (400, nothing may be created
for them: each names a definition and an image no other request names).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from emulator import FailingRegion, FaultConfig


# Each round has a subscription of its own (its images, scale sets and gallery), so that what a
# migration lists (a gallery's definitions, a subscription's scale sets) stays the size of one
# round, well inside Azure's limits (1,000 definitions per gallery) however long the run.
# Event Grid's policy migrates into one gallery, in the subscription of round 0.
def subscription(round_no: int) -> str:
    return f"00000000-0000-4000-8000-{0xC4A0000 + round_no:012x}"


def resource_groups(round_no: int) -> str:
    return f"/subscriptions/{subscription(round_no)}/resourceGroups"


def gallery(round_no: int) -> str:
    return f"{resource_groups(round_no)}/gallery-rg/providers/Microsoft.Compute/galleries/chaos"


EVENT_GRID_GALLERY = f"{resource_groups(0)}/events-rg/providers/Microsoft.Compute/galleries/events"
REGIONS = ["eastus", "westus2", "northeurope", "westeurope", "southcentralus"]
HOMES = ["eastus", "eastus", "eastus", "westus2", "northeurope"]
# The tag Event Grid's policy opts images in with (the app's default), and the selection tag.
OPT_IN_TAG = "migrateToGallery"
SET_TAG = "chaosSet"
POLICIES = [("never", 0.2), ("afterReplication", 0.3), ("afterApproval", 0.5)]
# How a migration that asks for approval is decided (names of DecisionPlan.kind).
DECISIONS = [
    ("none", 0.15),
    ("approveAll", 0.3),
    ("rejectAll", 0.1),
    ("split", 0.25),
    ("race", 0.2),
]
# Invalid requests (each refused at the door whatever the state): what is wrong. "region" is
# a name that cannot be one; "unknownRegion" a well-formed name that ARM's locations list (and
# so the emulator's, emulator/regions.py) does not have; "stringCount" a count sent as a string,
# which strict typing refuses rather than reads as 2.
INVALID = [
    "region",
    "unknownRegion",
    "version",
    "source",
    "endOfLife",
    "replicas",
    "stringCount",
    "approvalTimeout",
]
UNKNOWN_REGION = "westus9"


def group(round_no: int) -> str:
    return f"chaos-{round_no:04d}"


def image_id(round_no: int, name: str) -> str:
    return (
        f"{resource_groups(round_no)}/{group(round_no)}/providers/Microsoft.Compute/images/{name}"
    )


@dataclass
class ImageDraw:
    id: str
    location: str
    os_type: str
    hyper_v_generation: str | None
    os_disk_gb: int
    data_disks_gb: tuple[int, ...]
    tags: dict[str, str]
    in_use: bool = False
    # Named by an invalid request only: nothing may ever be made from it.
    bystander: bool = False
    provisioning_state: str = "Succeeded"


@dataclass
class DecisionPlan:
    kind: str
    # Simulated seconds after the approval is asked for (the driver waits that long).
    delay: float
    # "split": the share approved (the rest rejected); "race": decisions sent at once.
    share: float = 0.5


@dataclass
class RequestDraw:
    key: str
    body: dict[str, Any]
    invalid: str | None = None
    decision: DecisionPlan | None = None
    # Simulated seconds after the round starts.
    at: float = 0.0


@dataclass
class FaultDraw:
    base: FaultConfig
    # (simulated seconds after the round starts, how long) of a 429 storm.
    storms: list[tuple[float, float]] = field(default_factory=list)
    # Sources Azure finds overloaded for a while: (from, how long, image ids).
    overloads: list[tuple[float, float, tuple[str, ...]]] = field(default_factory=list)


@dataclass
class RoundDraw:
    number: int
    images: list[ImageDraw]
    requests: list[RequestDraw]
    faults: FaultDraw
    # When devhost is SIGKILLed (and started again): (wall seconds after the round starts, what
    # it waits for first: "time" nothing more; "decision" a decision being sent; "delete" a
    # source being deleted; "start" a migration being started).
    kills: list[tuple[float, str]]
    # Images whose tags are written again during the round (more Event Grid deliveries).
    retagged: list[tuple[float, str]]
    # Whether someone re-captures a migrated image under the same id (deletes it, once a
    # version of it is safe, and writes it anew), and when (simulated seconds; the first
    # migration waiting for its decision then has it done to one of its images).
    rewrite_at: float | None = None


def _weighted(rng: random.Random, choices: list[tuple[str, float]]) -> str:
    names, weights = zip(*choices, strict=True)
    return str(rng.choices(names, weights)[0])


def draw_round(
    rng: random.Random, number: int, migrations: int, kill_share: float, event_share: float
) -> RoundDraw:
    images = [_image(rng, number, n, event_share) for n in range(max(4, migrations + 3))]
    requests: list[RequestDraw] = []
    named: set[str] = set()
    for n in range(migrations):
        key = f"r{number}-q{n}"
        if rng.random() < 0.12:
            bystander = _image(rng, number, 100 + n, 0.0)
            bystander.bystander = True
            bystander.tags = {}
            images.append(bystander)
            requests.append(_invalid(rng, number, key, bystander))
        else:
            requests.append(_request(rng, number, key, images, named))
    # The first kill of a round comes at a random moment; others wait for one that matters.
    count = _kill_count(rng, kill_share)
    kills = [(rng.uniform(0.3, 4.0), "time")] if count else []
    triggers = ["time", "decision", "delete", "start"]
    kills += sorted((rng.uniform(1.0, 8.0), rng.choice(triggers)) for _ in range(count - 1))
    retagged = [
        (rng.uniform(0, 1800), image.id)
        for image in rng.sample(images, k=min(len(images), 3))
        if not image.bystander
    ]
    rewrite_at = rng.uniform(300, 2400) if rng.random() < 0.3 else None
    return RoundDraw(number, images, requests, _faults(rng, images), kills, retagged, rewrite_at)


def _kill_count(rng: random.Random, share: float) -> int:
    if rng.random() >= share:
        return 0
    return rng.choice([1, 1, 2])


def _image(rng: random.Random, number: int, n: int, event_share: float) -> ImageDraw:
    tags = {SET_TAG: rng.choice("ab")}
    if rng.random() < event_share:
        tags[OPT_IN_TAG] = "true"
    odd = rng.random()
    return ImageDraw(
        id=image_id(number, f"r{number:04d}-img-{n:03d}"),
        location=rng.choice(HOMES),
        os_type="Windows" if rng.random() < 0.25 else "Linux",
        hyper_v_generation=rng.choice(["V2", "V2", "V2", "V1", None]),
        os_disk_gb=rng.choice([4, 8, 16]),
        # A data disk over the 1 TB limit now and then: such an image is refused by its plan.
        data_disks_gb=(2048,) if odd < 0.03 else ((8,) if odd < 0.2 else ()),
        tags=tags,
        in_use=rng.random() < 0.1,
        provisioning_state="Failed" if odd > 0.97 else "Succeeded",
    )


def _regions(rng: random.Random) -> list[dict[str, Any]]:
    chosen = rng.sample(REGIONS, k=rng.choice([1, 2, 2, 3]))
    return [
        {"name": name, **({"replicaCount": 2} if rng.random() < 0.2 else {})} for name in chosen
    ]


def _common(rng: random.Random, number: int) -> dict[str, Any]:
    policy = _weighted(rng, POLICIES)
    body: dict[str, Any] = {
        "gallery": gallery(number),
        "targetRegions": _regions(rng),
        "deleteSource": policy,
        "excludeFromLatest": rng.random() < 0.2,
    }
    if policy == "afterApproval":
        body["approvalTimeout"] = f"PT{rng.choice([10, 20, 30, 45])}M"
    if rng.random() < 0.05:
        body["deleteInUseSources"] = True
    return body


def _request(
    rng: random.Random, number: int, key: str, images: list[ImageDraw], named: set[str]
) -> RequestDraw:
    body = _common(rng, number)
    pool = [i for i in images if not i.bystander]
    if rng.random() < 0.25:
        body["scopes"] = [f"{resource_groups(number)}/{group(number)}"]
        body["filters"] = {"tags": {SET_TAG: rng.choice("ab")}}
    else:
        # Mostly images no request has named yet; now and then one another request names too.
        fresh = [i for i in pool if i.id not in named] or pool
        wanted = rng.choice([1, 1, 2, 3])
        chosen = rng.sample(fresh, k=min(len(fresh), wanted))
        if rng.random() < 0.2:
            chosen[-1] = rng.choice(pool)
        named.update(i.id for i in chosen)
        specs: list[dict[str, Any]] = []
        for image in chosen:
            spec: dict[str, Any] = {"source": image.id}
            if rng.random() < 0.05:
                spec["definition"] = {"name": f"shared-{number:04d}"}
            elif rng.random() < 0.1:
                spec["version"] = f"1.0.{rng.randint(0, 3)}"
            specs.append(spec)
        body["images"] = specs
    decision = None
    if body["deleteSource"] == "afterApproval":
        timeout = float(body["approvalTimeout"][2:-1]) * 60
        decision = DecisionPlan(
            kind=_weighted(rng, DECISIONS),
            delay=rng.uniform(0, 1.2 * timeout),
            share=rng.uniform(0.2, 0.8),
        )
    return RequestDraw(key, body, decision=decision, at=rng.uniform(0, 300))


def _invalid(rng: random.Random, number: int, key: str, bystander: ImageDraw) -> RequestDraw:
    return invalid_request(rng, number, key, bystander, rng.choice(INVALID))


def invalid_request(
    rng: random.Random, number: int, key: str, bystander: ImageDraw, wrong: str
) -> RequestDraw:
    """A request for ``bystander`` alone, under a definition of its own, wrong as ``wrong``
    (one of :data:`INVALID`) says."""
    body = _common(rng, number)
    spec: dict[str, Any] = {"source": bystander.id, "definition": {"name": f"refused-{key}"}}
    body["images"] = [spec]
    if wrong == "region":
        body["targetRegions"] = [{"name": "East US!"}]
    elif wrong == "unknownRegion":
        body["targetRegions"] = [{"name": "eastus"}, {"name": UNKNOWN_REGION}]
    elif wrong == "version":
        spec["version"] = "01.0.0"
    elif wrong == "source":
        spec["source"] = bystander.id + "?api-version=2020-01-01"
    elif wrong == "endOfLife":
        body["endOfLifeDate"] = "2001-01-01"
    elif wrong == "replicas":
        body["targetRegions"] = [{"name": "eastus", "replicaCount": 0}]
    elif wrong == "stringCount":
        body["targetRegions"] = [{"name": "eastus", "replicaCount": "2"}]
    elif wrong == "approvalTimeout":
        body["deleteSource"] = "afterApproval"
        body["approvalTimeout"] = "P400D"
    else:
        raise ValueError(f"no such invalid request: {wrong}")
    return RequestDraw(key, body, invalid=wrong, at=rng.uniform(0, 300))


def _faults(rng: random.Random, images: list[ImageDraw]) -> FaultDraw:
    failing = {}
    if rng.random() < 0.25:
        failing[rng.choice(REGIONS)] = FailingRegion(at_progress=rng.randint(5, 95))
    base = FaultConfig(
        seed=rng.randrange(2**31),
        error_rate=rng.choice([0.0, 0.02, 0.05]),
        cache_lag_requests=rng.choice([0, 1, 2]),
        failing_regions=failing,
        latency_seconds=rng.choice([0.0, 0.5, 2.0]),
        latency_jitter_seconds=rng.choice([0.0, 1.0]),
        # Now and then any source is found busy (each PUT on its own draw).
        overloaded_source_rate=rng.choice([0.0, 0.0, 0.1, 0.3]),
    )
    storms = []
    if rng.random() < 0.4:
        storms.append((rng.uniform(0, 1200), rng.uniform(300, 1200)))
    overloads = []
    if rng.random() < 0.3:
        sources = [i.id for i in images if not i.bystander]
        chosen = tuple(rng.sample(sources, k=min(len(sources), rng.randint(1, 3))))
        overloads.append((rng.uniform(0, 600), rng.uniform(300, 1800), chosen))
    return FaultDraw(base, storms, overloads)


# ARM's buckets shrunk for a 429 storm: a handful of calls, then a trickle.
STORM_THROTTLE = {
    "enabled": True,
    "reads": {"capacity": 20, "refill_per_second": 0.5},
    "writes": {"capacity": 6, "refill_per_second": 0.1},
    "deletes": {"capacity": 6, "refill_per_second": 0.1},
}


def storm(base: FaultConfig) -> FaultConfig:
    return base.model_copy(
        update={"throttle": FaultConfig.model_validate({"throttle": STORM_THROTTLE}).throttle}
    )


def overloaded(base: FaultConfig, sources: tuple[str, ...]) -> FaultConfig:
    return base.model_copy(update={"overloaded_sources": sources})
