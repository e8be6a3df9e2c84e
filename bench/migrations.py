"""Whole migrations of many images on the local stack, on a virtual clock.

What a scenario measures (simulated time is what a user waits in Azure; wall time and CPU are
what the orchestration costs):

- ``replication_h``: from the first version PUT to the last version Succeeded (the service's own
  time, the floor for any migration);
- ``detect_min``: per image, from its version Succeeded (in the emulator) to the moment the
  migration saw it, mean and max: what polling adds;
- ``finish_min``: per migration, from its last version Succeeded to the migration's end (deletes
  re-checked, done, confirmed gone): what the tail of the pipeline adds;
- ARM requests, those that polled a version, and throttled answers;
- orchestrator episodes (replays), the longest history and the CPU time spent replaying.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from devstack import LocalStack, local_stack
from emulator import Emulator, EmulatorConfig, FaultConfig
from emulator.audit import unsafe_deletions
from simclock import VirtualClock

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SUBSCRIPTION = "00000000-0000-4000-8000-0000000be4c0"
RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups"
GALLERY = f"{RG}/gallery-rg/providers/Microsoft.Compute/galleries/benchGallery"
PER_REQUEST = 50
TERMINAL = {"Completed", "Failed", "Terminated"}
# Image shapes cycled over: OS disk, data disks, home region.
SHAPES = [
    (30, (), "eastus"),
    (64, (), "westus2"),
    (127, (), "eastus"),
    (30, (128,), "northeurope"),
    (64, (256,), "eastus"),
]


@dataclass(frozen=True)
class Scenario:
    name: str
    images: int
    settings: dict[str, str]
    faults: FaultConfig = field(default_factory=FaultConfig)


@dataclass
class Figures:
    scenario: str
    images: int
    migrated: int
    wall_s: float
    replication_h: float
    detect_min_mean: float
    detect_min_max: float
    finish_min: float
    arm_requests: int
    version_polls: int
    throttled: int
    replays: int
    max_history: int
    orchestrator_cpu_s: float
    unsafe_deletes: int

    def to_json(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def image_id(index: int) -> str:
    return f"{RG}/images-rg/providers/Microsoft.Compute/images/img-{index:04d}"


def seeder(count: int) -> Any:
    def seed(emulator: Emulator) -> None:
        emulator.seed_gallery(GALLERY, location="eastus")
        for index in range(count):
            os_gb, data, region = SHAPES[index % len(SHAPES)]
            emulator.seed_image(
                image_id(index), location=region, os_disk_gb=os_gb, data_disks_gb=data
            )

    return seed


def requests_for(count: int) -> list[dict[str, Any]]:
    bodies = []
    for first in range(0, count, PER_REQUEST):
        bodies.append(
            {
                "gallery": GALLERY,
                "images": [
                    {"source": image_id(i), "definition": {"name": f"img-{i:04d}"}}
                    for i in range(first, min(count, first + PER_REQUEST))
                ],
                "targetRegions": [
                    {"name": "eastus"},
                    {"name": "westus2"},
                    {"name": "northeurope", "replicaCount": 2},
                ],
                "deleteSource": "afterReplication",
            }
        )
    return bodies


async def run(scenario: Scenario) -> Figures:
    clock = VirtualClock(START)
    config = EmulatorConfig(seed=11, faults=scenario.faults)
    wall = time.perf_counter()
    async with (
        local_stack(
            clock, emulator_config=config, settings=scenario.settings, seed=seeder(scenario.images)
        ) as stack,
        aiohttp.ClientSession() as http,
    ):
        ids = []
        for body in requests_for(scenario.images):
            async with http.post(f"{stack.api}/migrations", json=body) as response:
                answer = await response.json()
                if response.status != 202:
                    raise RuntimeError(f"start refused: {answer}")
                ids.append(answer["migrationId"])
        finals = await until_done(stack, http, ids)
        wall = time.perf_counter() - wall
        return measure(scenario, stack, ids, finals, wall)


async def until_done(
    stack: LocalStack, http: aiohttp.ClientSession, ids: list[str]
) -> dict[str, dict[str, Any]]:
    finals: dict[str, dict[str, Any]] = {}

    async def done() -> bool:
        for migration_id in ids:
            if migration_id in finals:
                continue
            async with http.get(f"{stack.api}/migrations/{migration_id}") as response:
                status = await response.json()
            if status["runtimeStatus"] in TERMINAL:
                finals[migration_id] = status
        return len(finals) == len(ids)

    await stack.host.run_until(done, max_timers=100_000)
    return finals


def measure(
    scenario: Scenario,
    stack: LocalStack,
    ids: list[str],
    finals: dict[str, dict[str, Any]],
    wall: float,
) -> Figures:
    events = stack.emulator.events
    created = [e.time for e in events if e.kind == "created" and "/versions/" in e.resource_id]
    succeeded: dict[str, datetime] = {}
    sources: dict[str, str] = {}
    for event in events:
        key = event.resource_id.lower()
        if event.kind == "created" and event.detail and "source" in event.detail:
            sources[key] = str(event.detail["source"]).lower()
        if event.kind == "succeeded" and key in sources:
            # The first: the re-PUT that blocks the version's deletion, just before its source
            # is deleted, logs another success long after replication ended.
            succeeded.setdefault(sources[key], event.time)
    detect: list[float] = []
    finish: list[float] = []
    for status in finals.values():
        done = [
            succeeded[i["source"].lower()]
            for i in status["images"]
            if i["source"].lower() in succeeded
        ]
        for image in status["images"]:
            if image.get("replicatedAt") and image["source"].lower() in succeeded:
                seen = datetime.fromisoformat(image["replicatedAt"])
                detect.append((seen - succeeded[image["source"].lower()]).total_seconds() / 60)
        ended = [
            datetime.fromisoformat(i["finishedAt"]) for i in status["images"] if i.get("finishedAt")
        ]
        if done and ended:
            finish.append((max(ended) - max(done)).total_seconds() / 60)
    replication = (max(succeeded.values()) - min(created)).total_seconds() / 3600 if created else 0
    # Every instance the migrations ran: themselves, their batches, watchers and entities.
    stats = [stack.host.instance_stats(i.instance_id) for i in stack.host.engine.instances()]
    log = stack.emulator.request_log
    migrated = sum(
        1 for status in finals.values() for image in status["images"] if image.get("sourceDeleted")
    )
    return Figures(
        scenario=scenario.name,
        images=scenario.images,
        migrated=migrated,
        wall_s=wall,
        replication_h=replication,
        detect_min_mean=sum(detect) / len(detect) if detect else math.nan,
        detect_min_max=max(detect) if detect else math.nan,
        finish_min=max(finish) if finish else math.nan,
        arm_requests=len(log),
        version_polls=sum(1 for r in log if r.operation == "gallery_image_versions.get"),
        throttled=sum(1 for r in log if r.status == 429),
        replays=sum(s.replays for s in stats),
        max_history=max((s.history_length for s in stats), default=0),
        orchestrator_cpu_s=sum(s.orchestrator_cpu_seconds for s in stats),
        unsafe_deletes=len(unsafe_deletions(events)),
    )


ADAPTIVE = {"REPLICATION_POLL_MIN": "PT1M", "REPLICATION_POLL_MAX": "PT15M"}
FIXED = {"REPLICATION_POLL_MIN": "PT1M", "REPLICATION_POLL_MAX": "PT1M"}
TIGHT_LIMITS = FaultConfig.model_validate(
    {
        "throttle": {
            "enabled": True,
            "reads": {"capacity": 60, "refill_per_second": 2},
            "writes": {"capacity": 20, "refill_per_second": 0.5},
            "deletes": {"capacity": 20, "refill_per_second": 0.5},
        }
    }
)

SCENARIOS = [
    Scenario("1 image", 1, ADAPTIVE),
    Scenario("10 images", 10, ADAPTIVE),
    Scenario("50 images", 50, ADAPTIVE),
    Scenario("200 images (4 requests)", 200, ADAPTIVE),
    Scenario("50 images, fixed 1-min polls", 50, FIXED),
    Scenario("50 images, tight ARM limits", 50, ADAPTIVE, TIGHT_LIMITS),
]


def run_all(scenarios: list[Scenario]) -> list[Figures]:
    return [asyncio.run(run(scenario)) for scenario in scenarios]
