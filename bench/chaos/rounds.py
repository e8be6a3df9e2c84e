"""Playing one round on the stack: seed, start, decide, inject, kill, wait, read back.

Everything a round does is concurrent: requests start at their drawn instants, each migration
that asks for approval is decided (or not) by its own task as its plan says, 429 storms come
and go, image tags are written again (more Event Grid deliveries), and the host is SIGKILLed
and started again at its drawn moments. The round ends when every migration it knows of has
ended (or its wall-time cap passes); what they answered is read back for the checks.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bench.chaos import draws
from bench.chaos.draws import (
    DECISIONS,
    DecisionPlan,
    RequestDraw,
    RoundDraw,
    overloaded,
    storm,
)
from bench.chaos.world import Lost, World
from emulator import Emulator, FaultConfig

TERMINAL = {"Completed", "Failed", "Terminated", "Canceled"}
# Wall seconds between looks at a live migration.
POLL = 0.5
APPROVER = "chaos-approver"


@dataclass
class Sent:
    """A decision the round sent: its verdict, the images it named (None: all), the answer."""

    approved: bool
    images: list[str] | None
    status: int | None  # None: the answer was lost (the host died), so it may have been taken
    decided: int = 0


@dataclass
class Tracked:
    id: str
    key: str | None  # the request's key; None for one found by listing (Event Grid, lost start)
    plan: DecisionPlan | None
    sent: list[Sent] = field(default_factory=list)
    runtime: str = "Running"
    view: dict[str, Any] = field(default_factory=dict)
    images: list[dict[str, Any]] = field(default_factory=list)
    input: dict[str, Any] = field(default_factory=dict)
    ended: bool = False
    deciding: bool = False


@dataclass
class Refused:
    draw: RequestDraw
    status: int
    body: Any


@dataclass
class Played:
    draw: RoundDraw
    migrations: dict[str, Tracked]
    refused: list[Refused]
    lost_starts: int
    events_from: int
    wall_s: float
    kills: int
    restart_wall_s: list[float]
    storms: int
    timed_out: bool
    # Images someone re-captured under the same id during the round (lower case).
    rewritten: set[str] = field(default_factory=set)

    def to_json(self) -> dict[str, Any]:
        """What the round did and saw, for a record kept beside the host's logs."""
        return {
            "round": self.draw.number,
            "wallSeconds": round(self.wall_s, 2),
            "kills": self.kills,
            "refused": [
                {"key": r.draw.key, "invalid": r.draw.invalid, "status": r.status, "body": r.body}
                for r in self.refused
            ],
            "migrations": [
                {
                    "id": t.id,
                    "key": t.key,
                    "plan": t.plan.kind if t.plan else None,
                    "runtime": t.runtime,
                    "sent": [vars(s) for s in t.sent],
                    "view": {k: v for k, v in t.view.items() if k != "images"},
                    "images": t.images,
                }
                for t in self.migrations.values()
            ],
        }


class Round:
    def __init__(self, world: World, draw: RoundDraw, rng: random.Random, cap: float) -> None:
        self.world = world
        self.draw = draw
        self.rng = rng
        self.cap = cap
        self.scale = world.host.scale
        self.migrations: dict[str, Tracked] = {}
        self.refused: list[Refused] = []
        self.lost_starts = 0
        self.restarts: list[float] = []
        self.kills = 0
        self.storms = 0
        self.deciders: list[asyncio.Task[None]] = []
        self.stopping = asyncio.Event()
        # Moments a kill may wait for (see RoundDraw.kills), set as they happen.
        self.moments = {k: asyncio.Event() for k in ("decision", "delete", "start")}
        self.rewritten: set[str] = set()
        self.rewrite_pending = draw.rewrite_at is not None
        self.started_at = world.clock.now()

    def wall(self, simulated: float) -> float:
        return simulated / self.scale

    async def play(self, known: set[str], since: datetime) -> Played:
        began = time.perf_counter()
        events_from = len(self.world.emulator.events)
        self.seed()
        self.world.emulator.configure_faults(self.draw.faults.base)
        killer = asyncio.create_task(self.kills_at(self.draw.kills))
        side = [
            asyncio.create_task(self.watch_deletes()),
            asyncio.create_task(self.storms_at()),
            asyncio.create_task(self.retag()),
        ]
        starts = [asyncio.create_task(self.start(r)) for r in self.draw.requests]
        timed_out = False
        try:
            while True:
                await self.poll(known, since)
                done = all(t.done() for t in starts) and all(d.done() for d in self.deciders)
                if done and all(t.ended for t in self.migrations.values()):
                    await asyncio.sleep(POLL / 2)
                    await self.poll(known, since)  # one more look: a late event's start
                    if all(t.ended for t in self.migrations.values()):
                        break
                if time.perf_counter() - began > self.cap:
                    timed_out = True
                    break
                await asyncio.sleep(POLL)
        finally:
            # A kill under way finishes (its host restarted); one not yet due is not made.
            self.stopping.set()
            await killer
            for task in side:
                task.cancel()
            await asyncio.gather(*side, return_exceptions=True)
            self.world.emulator.configure_faults(FaultConfig())
        for task in [*starts, *self.deciders]:
            if not task.done():
                task.cancel()
            elif task.exception() is not None:
                raise RuntimeError("a start or a decision failed") from task.exception()
        for tracked in self.migrations.values():
            await self.read_back(tracked)
        return Played(
            self.draw,
            self.migrations,
            self.refused,
            self.lost_starts,
            events_from,
            time.perf_counter() - began,
            self.kills,
            self.restarts,
            self.storms,
            timed_out,
            self.rewritten,
        )

    # -- the world's side ------------------------------------------------------------------

    def seed(self) -> None:
        emulator = self.world.emulator
        for image in self.draw.images:
            emulator.seed_image(
                image.id,
                location=image.location,
                os_type=image.os_type,
                os_disk_gb=image.os_disk_gb,
                data_disks_gb=image.data_disks_gb,
                hyper_v_generation=image.hyper_v_generation,
                provisioning_state=image.provisioning_state,
                tags=image.tags,
            )
            if image.in_use:
                scale_set = image.id.replace("/images/", "/virtualMachineScaleSets/") + "-vmss"
                emulator.seed_scale_set(scale_set, location=image.location, image_id=image.id)

    async def kills_at(self, kills: list[tuple[float, str]]) -> None:
        began = time.perf_counter()
        for moment, trigger in kills:
            wait = max(0.0, moment - (time.perf_counter() - began))
            if await self.stopped_within(wait):
                return
            if trigger != "time":
                # Wait for that moment (a few seconds at most), then a breath more or less.
                moments = self.moments[trigger]
                moments.clear()
                if await self.stopped_within(3.0, moments):
                    return
                await asyncio.sleep(self.rng.uniform(0.0, 0.05))
            await self.world.host.kill()
            self.kills += 1
            await asyncio.sleep(self.rng.uniform(0.0, 1.0))  # down for a while
            self.restarts.append(await self.world.host.start())

    async def stopped_within(self, seconds: float, event: asyncio.Event | None = None) -> bool:
        """Wait ``seconds`` (or until ``event``); whether the round ended meanwhile."""
        waits = [asyncio.ensure_future(self.stopping.wait())]
        if event is not None:
            waits.append(asyncio.ensure_future(event.wait()))
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for waiting in waits:
            waiting.cancel()
        return self.stopping.is_set()

    async def watch_deletes(self) -> None:
        """Tell the killer when a source of this round is being deleted."""
        group = f"/resourcegroups/{draws.group(self.draw.number)}/"
        seen = len(self.world.emulator.events)
        while True:
            events = self.world.emulator.events
            if any(e.kind == "deleting" and group in e.resource_id.lower() for e in events[seen:]):
                self.moments["delete"].set()
            seen = len(events)
            await asyncio.sleep(0.05)

    async def rewrite(self, tracked: Tracked) -> None:
        """Someone re-captures an image of ``tracked`` under the same id while it waits for its
        decision: deleted (a version of it is safe: Succeeded), written anew with other disks.
        The app must keep the new image (its fingerprint is not the version's); the audit tells
        the two apart. Done before the decision is sent, so that no delete of the app is under
        way then: a delete and a re-capture in the same instant is a race no client can win
        (ARM has no conditional delete for managed images)."""
        self.rewrite_pending = False
        safe = _safely_copied(self.world.emulator, draws.group(self.draw.number))
        waiting = [s.lower() for s in await self.replicated_images(tracked)]
        image = next((i for i in self.draw.images if i.id.lower() in safe & set(waiting)), None)
        if image is None:
            return
        self.rewritten.add(image.id.lower())
        await self.world.arm("DELETE", image.id, None)
        self.world.emulator.settle()
        self.world.emulator.seed_image(
            image.id,
            location=image.location,
            os_type=image.os_type,
            os_disk_gb=image.os_disk_gb + 1,
            hyper_v_generation=image.hyper_v_generation,
            tags=image.tags,
        )

    async def storms_at(self) -> None:
        """429 storms and overloaded sources come and go over the round's base faults."""
        faults = self.draw.faults
        windows = [(at, length, storm) for at, length in faults.storms]
        windows += [
            (at, length, partial(overloaded, sources=s)) for at, length, s in faults.overloads
        ]
        changes = sorted(
            [(at, True, change) for at, _, change in windows]
            + [(at + length, False, change) for at, length, change in windows],
            key=lambda item: item[0],
        )
        began = self.world.clock.now()
        active: list[Callable[[FaultConfig], FaultConfig]] = []
        for at, starting, change in changes:
            await self.world.clock.sleep_until(began + timedelta(seconds=at))
            if starting:
                active.append(change)
                self.storms += 1
            else:
                active.remove(change)
            config = faults.base
            for apply in active:
                config = apply(config)
            self.world.emulator.configure_faults(config)

    async def retag(self) -> None:
        """Write tags on some images again: each write is one more Event Grid event."""
        for at, image in sorted(self.draw.retagged):
            await asyncio.sleep(self.wall(at))
            found = self.world.emulator.resource(image)
            if found is None:
                continue
            tags = {**(found.get("tags") or {}), "touched": str(self.rng.randrange(1000))}
            await self.world.arm("PATCH", image, {"tags": tags})

    # -- migrations --------------------------------------------------------------------------

    async def start(self, draw: RequestDraw) -> None:
        await asyncio.sleep(self.wall(draw.at))
        self.moments["start"].set()
        try:
            answer = await self.world.call("POST", "migrations", draw.body)
        except Lost:
            self.lost_starts += 1  # it may have started: listing finds it
            return
        if answer.status == 202:
            tracked = self.follow(str(answer.body["migrationId"]), draw.key, draw.decision)
            tracked.key, tracked.plan = draw.key, draw.decision  # if a poll saw it first
        else:
            self.refused.append(Refused(draw, answer.status, answer.body))

    def follow(self, migration_id: str, key: str | None, plan: DecisionPlan | None) -> Tracked:
        tracked = self.migrations.get(migration_id)
        if tracked is None:
            tracked = self.migrations[migration_id] = Tracked(migration_id, key, plan)
        return tracked

    async def poll(self, known: set[str], since: datetime) -> None:
        """One look at every migration created since ``since`` (one query, whatever their
        number): their statuses, the approvals they ask for, and any nobody here started
        (Event Grid's, and starts whose answer was lost), which this round then follows."""
        for found in await self.world.migrations_since(since):
            migration_id = str(found["instanceId"])
            tracked = self.migrations.get(migration_id)
            if tracked is None:
                if migration_id in known:
                    continue  # an earlier round's
                known.add(migration_id)
                tracked = self.follow(migration_id, None, self.plan_for_found())
            tracked.runtime = str(found.get("runtimeStatus"))
            tracked.ended = tracked.runtime in TERMINAL
            if not tracked.deciding and tracked.plan and _awaiting(found.get("customStatus")):
                tracked.deciding = True
                self.deciders.append(asyncio.create_task(self.decide_later(tracked)))

    def plan_for_found(self) -> DecisionPlan:
        kinds, weights = zip(*DECISIONS, strict=True)
        return DecisionPlan(
            kind=self.rng.choices(kinds, weights)[0],
            delay=self.rng.uniform(0, 1800),
            share=self.rng.uniform(0.2, 0.8),
        )

    async def decide_later(self, tracked: Tracked) -> None:
        assert tracked.plan is not None
        if self.rewrite_pending and tracked.key is not None:
            await self.rewrite(tracked)
        await asyncio.sleep(self.wall(tracked.plan.delay))
        await self.decide(tracked, tracked.plan)

    async def decide(self, tracked: Tracked, plan: DecisionPlan) -> None:
        if plan.kind == "none":
            return
        if plan.kind == "approveAll":
            await self.send(tracked, True, None)
        elif plan.kind == "rejectAll":
            await self.send(tracked, False, None)
        else:
            waiting = await self.replicated_images(tracked)
            self.rng.shuffle(waiting)
            cut = max(1, round(len(waiting) * plan.share)) if waiting else 0
            approved, rejected = waiting[:cut], waiting[cut:]
            if plan.kind == "split":
                await self.send(tracked, True, approved or None)
                if rejected:
                    await self.send(tracked, False, rejected)
            else:  # race: decisions that overlap, sent at once
                await asyncio.gather(
                    self.send(tracked, True, approved or None),
                    self.send(tracked, False, None),
                    self.send(tracked, self.rng.random() < 0.5, rejected or None),
                )

    async def replicated_images(self, tracked: Tracked) -> list[str]:
        path: str | None = f"migrations/{tracked.id}/images?phase=replicated&top=200"
        found: list[str] = []
        while path:
            answer = await self.world.call("GET", path)
            if answer.status != 200:
                break
            found += [str(i["source"]) for i in answer.body["images"] if not i.get("decision")]
            path = answer.body.get("nextUri", "").split("/api/", 1)[-1] or None
        return found

    async def send(self, tracked: Tracked, approved: bool, images: list[str] | None) -> None:
        verb = "approve" if approved else "reject"
        body: dict[str, Any] = {"by": APPROVER, "reason": f"chaos {verb}"}
        if images is not None:
            body["images"] = images
        self.moments["decision"].set()
        try:
            answer = await self.world.call("POST", f"migrations/{tracked.id}/{verb}", body)
        except Lost:
            tracked.sent.append(Sent(approved, images, None))
            return
        ok = answer.status == 202 and isinstance(answer.body, dict)
        decided = int(answer.body.get("images") or 0) if ok else 0
        # 503: sent, but not seen recorded in time; like a lost answer, it may have been taken.
        status = None if answer.status == 503 else answer.status
        tracked.sent.append(Sent(approved, images, status, decided))

    async def read_back(self, tracked: Tracked) -> None:
        answer = await self.world.call("GET", f"migrations/{tracked.id}")
        tracked.view = answer.body if isinstance(answer.body, dict) else {}
        path: str | None = f"migrations/{tracked.id}/images?top=200"
        while path:
            page = await self.world.call("GET", path)
            if page.status != 200:
                break
            tracked.images += page.body["images"]
            path = page.body.get("nextUri", "").split("/api/", 1)[-1] or None
        tracked.input = await self.world.durable_input(tracked.id)


def _awaiting(custom: Any) -> bool:
    if not isinstance(custom, dict) or custom.get("phase") != "awaitingApproval":
        return False
    approval = custom.get("approval") or {}
    return bool(approval.get("undecided")) and not approval.get("timedOut")


def _safely_copied(emulator: Emulator, group: str) -> set[str]:
    """Images of the resource group with a Succeeded version made from them (lower case)."""
    sources: dict[str, str] = {}
    safe: set[str] = set()
    for event in emulator.events:
        key = event.resource_id.lower()
        if event.kind == "created" and event.detail and "source" in event.detail:
            sources[key] = str(event.detail["source"]).lower()
        if event.kind == "succeeded" and key in sources:
            safe.add(sources[key])
    return {s for s in safe if f"/resourcegroups/{group}/" in s and emulator.resource(s)}
