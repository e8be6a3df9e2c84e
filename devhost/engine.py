"""The orchestration engine: episodes, activities, timers and sub-orchestrations.

It plays the part of DurableTask.Core's dispatchers over a SQLite store. An instance's pending
messages are processed together in one episode (as DTFx batches a work item): the engine adds an
``OrchestratorStarted`` event stamped with the host clock, the messages as history events, runs
the SDK's orchestrator function on the whole history, lets :mod:`devhost.replay` turn the answer
into decisions, and commits the new history, consumed messages and the work it scheduled in one
transaction.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from azure.functions import meta

from devhost import history as h
from devhost.bindings import (
    ACTIVITY_TRIGGER,
    DURABLE_CLIENT,
    ORCHESTRATION_TRIGGER,
    FunctionMetadata,
    encode_return,
)
from devhost.config import HostConfig
from devhost.history import EventType, JsonDict, OrchestrationStatus
from devhost.invoker import Invoker
from devhost.protocol import (
    Completed,
    ContinuedAsNew,
    CreateTimer,
    Failed,
    FunctionCatalog,
    ScheduleActivity,
    SdkResult,
    StartSubOrchestration,
    parse_sdk_failure,
)
from devhost.replay import EpisodeReplayer
from devhost.store import InstanceRow, Store
from simclock import Clock

log = logging.getLogger("devhost")

RUNNING_STATUSES = frozenset(
    {
        OrchestrationStatus.Running,
        OrchestrationStatus.Pending,
        OrchestrationStatus.Suspended,
        OrchestrationStatus.ContinuedAsNew,
    }
)


class UnknownOrchestratorError(Exception):
    pass


class InstanceExistsError(Exception):
    pass


class InstanceNotFoundError(Exception):
    pass


@dataclass(frozen=True)
class InstanceStats:
    """Figures for benchmarks: one replay is one orchestrator episode (one SDK invocation)."""

    replays: int
    history_length: int
    orchestrator_cpu_seconds: float


@dataclass
class Message:
    id: int
    instance_id: str
    execution_id: str | None
    event: JsonDict


@dataclass
class Instance:
    instance_id: str
    name: str
    execution_id: str
    status: OrchestrationStatus
    input: str | None
    output: str | None
    custom_status: str | None
    created_time: datetime
    last_updated_time: datetime
    parent: JsonDict | None
    failure_details: str | None = None
    episodes: int = 0
    cpu_seconds: float = 0.0
    history_length: int = 0
    history: list[JsonDict] | None = None  # loaded on demand
    history_json: list[str] | None = None  # the same events, serialised as past (IsPlayed) events
    inbox: list[Message] = field(default_factory=list)
    running: bool = False

    @property
    def is_terminal(self) -> bool:
        return self.status in h.TERMINAL_STATUSES

    @classmethod
    def from_row(cls, row: InstanceRow, history_length: int) -> Instance:
        return cls(
            instance_id=row.instance_id,
            name=row.name,
            execution_id=row.execution_id,
            status=OrchestrationStatus(row.status),
            input=row.input,
            output=row.output,
            custom_status=row.custom_status,
            created_time=h.parse_timestamp(row.created_time),
            last_updated_time=h.parse_timestamp(row.last_updated_time),
            parent=None if row.parent is None else json.loads(row.parent),
            failure_details=row.failure_details,
            episodes=row.episodes,
            cpu_seconds=row.cpu_seconds,
            history_length=history_length,
        )

    def row(self) -> InstanceRow:
        return InstanceRow(
            instance_id=self.instance_id,
            name=self.name,
            execution_id=self.execution_id,
            status=int(self.status),
            input=self.input,
            output=self.output,
            custom_status=self.custom_status,
            created_time=h.format_timestamp(self.created_time),
            last_updated_time=h.format_timestamp(self.last_updated_time),
            parent=None if self.parent is None else json.dumps(self.parent),
            failure_details=self.failure_details,
            episodes=self.episodes,
            cpu_seconds=self.cpu_seconds,
        )

    @property
    def parent_instance_id(self) -> str | None:
        if self.parent is None:
            return None
        return str(self.parent["OrchestrationInstance"]["InstanceId"])


@dataclass
class ActivityWork:
    row_id: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None


@dataclass(order=True)
class TimerEntry:
    fire_at: datetime
    row_id: int
    instance_id: str = field(compare=False)
    execution_id: str = field(compare=False)
    timer_id: int = field(compare=False)


def _played(event: JsonDict) -> str:
    return json.dumps({**event, "IsPlayed": True})


def _context_input(raw: str | None) -> Any:
    # The extension hands the SDK ``JToken.Parse(rawInput)``: a JSON document, not its text.
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class Engine:
    def __init__(
        self,
        *,
        functions: Mapping[str, FunctionMetadata],
        invoker: Invoker,
        store: Store,
        clock: Clock,
        config: HostConfig,
        client_binding: Callable[[], str] | None = None,
    ) -> None:
        self._clock = clock
        # Any function may take a durable client, activities too (to raise events, say).
        self._client_binding = client_binding
        self._store = store
        self._config = config
        self._invoker = invoker
        self._orchestrators = {
            f.durable_name.lower(): f
            for f in functions.values()
            if f.trigger_type == ORCHESTRATION_TRIGGER
        }
        self._activities = {
            f.durable_name.lower(): f
            for f in functions.values()
            if f.trigger_type == ACTIVITY_TRIGGER
        }
        self.catalog = FunctionCatalog(
            activities=[f.durable_name for f in self._activities.values()],
            orchestrators=[f.durable_name for f in self._orchestrators.values()],
        )
        self._instances: dict[str, Instance] = {}
        self._ready: deque[str] = deque()
        self._ready_set: set[str] = set()
        self._activity_queue: deque[ActivityWork] = deque()
        self._timers: list[TimerEntry] = []
        self._running_episodes = 0
        self._running_activities = 0
        self._orchestrator_pool = ThreadPoolExecutor(
            max_workers=max(1, config.max_concurrent_orchestrators),
            thread_name_prefix="devhost-orchestrator",
        )
        self._episode_slots = asyncio.Semaphore(max(1, config.max_concurrent_orchestrators))
        self._activity_slots = asyncio.Semaphore(max(1, config.max_concurrent_activities))
        self._ready_event = asyncio.Event()
        self._activity_event = asyncio.Event()
        self._timers_changed = asyncio.Event()
        self._changed = asyncio.Event()
        self._version = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._inflight: set[asyncio.Task[None]] = set()
        self._closed = False

    # -- lifecycle ----------------------------------------------------------------------------

    def recover(self) -> None:
        """Load the store: instances, queued messages, unfinished activities and timers."""
        lengths = self._store.history_lengths()
        for row in self._store.instances():
            instance = Instance.from_row(row, lengths.get(row.instance_id, 0))
            self._instances[instance.instance_id] = instance
        for message in self._store.messages():
            target = self._instances.get(message.instance_id)
            if target is not None:
                target.inbox.append(
                    Message(
                        message.id,
                        message.instance_id,
                        message.execution_id,
                        json.loads(message.event),
                    )
                )
        for activity in self._store.activities():
            self._activity_queue.append(
                ActivityWork(
                    activity.id,
                    activity.instance_id,
                    activity.execution_id,
                    activity.task_id,
                    activity.name,
                    activity.input,
                )
            )
        for timer in self._store.timers():
            heapq.heappush(
                self._timers,
                TimerEntry(
                    h.parse_timestamp(timer.fire_at),
                    timer.id,
                    timer.instance_id,
                    timer.execution_id,
                    timer.timer_id,
                ),
            )
        for instance in self._instances.values():
            if self._deliverable(instance):
                self._mark_ready(instance.instance_id)
        if self._activity_queue:
            self._activity_event.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._orchestration_loop(), name="devhost-orchestrations"),
            asyncio.create_task(self._activity_loop(), name="devhost-activities"),
            asyncio.create_task(self._timer_loop(), name="devhost-timers"),
        ]

    async def stop(self) -> None:
        self._closed = True
        for task in [*self._tasks, *self._inflight]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._inflight, return_exceptions=True)
        # Threads cannot be interrupted; a killed host re-runs what they were doing.
        self._orchestrator_pool.shutdown(wait=False, cancel_futures=True)

    # -- idleness -----------------------------------------------------------------------------

    def _notify(self) -> None:
        self._version += 1
        self._changed.set()

    @property
    def version(self) -> int:
        """A counter that moves whenever the engine's state changes."""
        return self._version

    def poke(self) -> None:
        """Wake whoever waits for a change (e.g. after an outside setting changed)."""
        self._notify()

    def is_idle(self) -> bool:
        return (
            not self._ready
            and self._running_episodes == 0
            and not self._activity_queue
            and self._running_activities == 0
            and not self.due_timers()
        )

    def due_timers(self) -> bool:
        return bool(self._timers) and self._timers[0].fire_at <= self._clock.now()

    def next_timer(self) -> datetime | None:
        return self._timers[0].fire_at if self._timers else None

    async def run_until_idle(self) -> None:
        while True:
            if self.is_idle():
                # Callbacks already scheduled (a clock wake-up, a finished thread) may add work.
                for _ in range(3):
                    await asyncio.sleep(0)
                if self.is_idle():
                    return
            self._changed.clear()
            if self.due_timers():
                self._timers_changed.set()
            if not self.is_idle():
                await self._changed.wait()

    async def wait_for_change(self, since: int | None = None) -> None:
        """Wait until the state changes after ``since`` (a :attr:`version`; default: now)."""
        seen = self._version if since is None else since
        while self._version == seen:
            self._changed.clear()
            await self._changed.wait()

    # -- queries ------------------------------------------------------------------------------

    def instance(self, instance_id: str) -> Instance | None:
        return self._instances.get(instance_id)

    def instances(self) -> list[Instance]:
        return list(self._instances.values())

    def load_history(self, instance: Instance) -> list[JsonDict]:
        if instance.history is None:
            texts = self._store.history(instance.instance_id)
            instance.history = [json.loads(text) for text in texts]
            instance.history_json = texts
            instance.history_length = len(texts)
        return instance.history

    def stats(self, instance_id: str) -> InstanceStats:
        instance = self._instances.get(instance_id)
        if instance is None:
            raise InstanceNotFoundError(instance_id)
        return InstanceStats(
            replays=instance.episodes,
            history_length=instance.history_length,
            orchestrator_cpu_seconds=instance.cpu_seconds,
        )

    # -- client operations (the durable client's HTTP API calls these) ------------------------

    def start_instance(
        self, name: str, instance_id: str | None, raw_input: str | None, *, version: str = ""
    ) -> str:
        orchestrator = self._orchestrators.get(name.lower())
        if orchestrator is None:
            raise UnknownOrchestratorError(self.catalog.missing_orchestrator(name))
        instance_id = instance_id or uuid.uuid4().hex
        existing = self._instances.get(instance_id)
        if (
            existing is not None
            and existing.status in RUNNING_STATUSES
            and self._config.overridable_existing_instance_states.lower() != "anystate"
        ):
            raise InstanceExistsError(
                f"An Orchestration instance with the status {existing.status.name} already exists."
            )
        now = self._clock.now()
        execution_id = str(uuid.uuid4())
        with self._store.transaction():
            instance = self._reset_instance(
                instance_id, orchestrator.durable_name, execution_id, raw_input, None, now
            )
            started = h.execution_started(
                now,
                name=orchestrator.durable_name,
                instance_id=instance_id,
                execution_id=execution_id,
                raw_input=raw_input,
                version=version,
            )
            message = self._queue_message(instance_id, execution_id, started)
        self._install(instance, [message])
        return instance_id

    def raise_event(self, instance_id: str, name: str, raw_payload: str | None) -> None:
        self._send(instance_id, None, h.event_raised(self._clock.now(), name, raw_payload))

    def terminate(self, instance_id: str, reason: str | None) -> None:
        self._send(instance_id, None, h.execution_terminated(self._clock.now(), reason))

    def suspend(self, instance_id: str, reason: str | None) -> None:
        self._send(instance_id, None, h.execution_suspended(self._clock.now(), reason))

    def resume(self, instance_id: str, reason: str | None) -> None:
        self._send(instance_id, None, h.execution_resumed(self._clock.now(), reason))

    def purge(self, instance_id: str) -> int:
        if instance_id not in self._instances:
            return 0
        with self._store.transaction():
            self._store.delete_instance(instance_id)
        self._forget(instance_id)
        return 1

    def purge_where(self, predicate: Callable[[Instance], bool]) -> int:
        doomed = [i.instance_id for i in self._instances.values() if predicate(i)]
        with self._store.transaction():
            for instance_id in doomed:
                self._store.delete_instance(instance_id)
        for instance_id in doomed:
            self._forget(instance_id)
        return len(doomed)

    def _forget(self, instance_id: str) -> None:
        self._instances.pop(instance_id, None)
        self._timers = [t for t in self._timers if t.instance_id != instance_id]
        heapq.heapify(self._timers)
        self._timers_changed.set()
        self._notify()

    def _send(self, instance_id: str, execution_id: str | None, event: JsonDict) -> None:
        if instance_id not in self._instances:
            raise InstanceNotFoundError(instance_id)
        with self._store.transaction():
            message = self._queue_message(instance_id, execution_id, event)
        self._deliver([message])

    # -- plumbing shared by operations and episodes --------------------------------------------

    def _queue_message(
        self, instance_id: str, execution_id: str | None, event: JsonDict
    ) -> Message:
        row_id = self._store.add_message(instance_id, execution_id, json.dumps(event))
        return Message(row_id, instance_id, execution_id, event)

    def _reset_instance(
        self,
        instance_id: str,
        name: str,
        execution_id: str,
        raw_input: str | None,
        parent: JsonDict | None,
        now: datetime,
    ) -> Instance:
        """A new execution replaces whatever the id held before (history, messages, timers)."""
        self._store.clear_history(instance_id)
        self._store.delete_messages_for(instance_id)
        self._store.delete_timers_for(instance_id)
        instance = Instance(
            instance_id=instance_id,
            name=name,
            execution_id=execution_id,
            status=OrchestrationStatus.Pending,
            input=raw_input,
            output=None,
            custom_status=None,
            created_time=now,
            last_updated_time=now,
            parent=parent,
            history=[],
            history_json=[],
        )
        self._store.save_instance(instance.row())
        return instance

    def _install(self, instance: Instance, messages: list[Message]) -> None:
        previous = self._instances.get(instance.instance_id)
        if previous is not None:
            # An episode of the replaced execution may still be in flight: it must finish (and
            # find itself replaced) before this instance runs.
            instance.running = previous.running
            self._timers = [t for t in self._timers if t.instance_id != instance.instance_id]
            heapq.heapify(self._timers)
        self._instances[instance.instance_id] = instance
        self._deliver(messages)

    def _deliver(self, messages: Iterable[Message]) -> None:
        for message in messages:
            target = self._instances.get(message.instance_id)
            if target is None:
                continue
            target.inbox.append(message)
            if self._deliverable(target):
                self._mark_ready(target.instance_id)
        self._notify()

    def _deliverable(self, instance: Instance) -> bool:
        if not instance.inbox:
            return False
        if instance.status != OrchestrationStatus.Suspended:
            return True
        return any(
            m.event["EventType"] in (EventType.EXECUTION_RESUMED, EventType.EXECUTION_TERMINATED)
            for m in instance.inbox
        )

    def _mark_ready(self, instance_id: str) -> None:
        if instance_id not in self._ready_set:
            self._ready_set.add(instance_id)
            self._ready.append(instance_id)
            self._ready_event.set()
            self._notify()

    # -- orchestrations -----------------------------------------------------------------------

    async def _orchestration_loop(self) -> None:
        while True:
            if not self._ready:
                self._ready_event.clear()
                await self._ready_event.wait()
                continue
            instance_id = self._ready.popleft()
            self._ready_set.discard(instance_id)
            instance = self._instances.get(instance_id)
            if instance is None or instance.running:
                continue  # a running episode re-queues its instance when it finishes
            await self._episode_slots.acquire()
            instance.running = True
            self._running_episodes += 1
            self._spawn(self._episode(instance), name=f"episode {instance_id}")

    def _spawn(self, coroutine: Any, *, name: str) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coroutine, name=name)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _episode(self, instance: Instance) -> None:
        try:
            await self._run_episode(instance)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("episode of %s failed inside devhost", instance.instance_id)
        finally:
            instance.running = False
            self._running_episodes -= 1
            self._episode_slots.release()
            current = self._instances.get(instance.instance_id)
            if current is not None:
                current.running = False
                if self._deliverable(current):
                    self._mark_ready(current.instance_id)
            self._notify()

    def _take_batch(self, instance: Instance) -> tuple[list[Message], list[Message]]:
        """The messages this episode processes, and those it drops as stale.

        While suspended only resume and terminate are taken (the rest wait); a resume lets the
        messages after it through. A suspend takes effect before later messages are seen, so it
        ends the batch (or forms one of its own).
        """
        batch: list[Message] = []
        stale: list[Message] = []
        keep: list[Message] = []
        suspended = instance.status == OrchestrationStatus.Suspended
        closed = False
        for message in instance.inbox:
            kind = message.event["EventType"]
            if instance.is_terminal or (
                message.execution_id is not None and message.execution_id != instance.execution_id
            ):
                stale.append(message)
            elif closed:
                keep.append(message)
            elif kind == EventType.EXECUTION_TERMINATED:
                batch.append(message)
            elif kind == EventType.EXECUTION_RESUMED:
                # What waited during the suspension is processed right after the resume.
                batch.append(message)
                if suspended:
                    batch.extend(keep)
                    keep = []
                suspended = False
            elif suspended:
                keep.append(message)
            elif kind == EventType.EXECUTION_SUSPENDED:
                if batch:
                    keep.append(message)
                else:
                    batch.append(message)
                closed = True
            else:
                batch.append(message)
        instance.inbox = keep
        return batch, stale

    async def _run_episode(self, instance: Instance) -> None:
        batch, stale = self._take_batch(instance)
        if not batch:
            if stale:
                with self._store.transaction():
                    self._store.delete_messages(m.id for m in stale)
            return
        now = self._clock.now()
        past = self.load_history(instance)
        kinds = [m.event["EventType"] for m in batch]

        if EventType.EXECUTION_TERMINATED in kinds:
            terminated = batch[kinds.index(EventType.EXECUTION_TERMINATED)]
            reason = terminated.event.get("Input")
            # Terminated before it ever ran: its history still starts with ExecutionStarted.
            first = [m.event for m in batch if m.event["EventType"] == EventType.EXECUTION_STARTED]
            new_events = [
                h.orchestrator_started(now),
                *first[:1],
                terminated.event,
                h.execution_completed(now, OrchestrationStatus.Terminated, reason),
                h.orchestrator_completed(now),
            ]
            self._finish(
                instance,
                batch + stale,
                new_events,
                now,
                terminal=(OrchestrationStatus.Terminated, reason, None),
            )
            return

        if kinds == [EventType.EXECUTION_SUSPENDED]:
            if instance.status in (OrchestrationStatus.Running, OrchestrationStatus.Pending):
                new_events = [
                    h.orchestrator_started(now),
                    batch[0].event,
                    h.orchestrator_completed(now),
                ]
                instance.status = OrchestrationStatus.Suspended
                self._commit_plain(instance, batch + stale, new_events, now)
            else:
                self._commit_plain(instance, batch + stale, [], now)
            return

        events = [m.event for m in batch]
        if events[0]["EventType"] == EventType.EXECUTION_RESUMED:
            if instance.status == OrchestrationStatus.Suspended:
                instance.status = OrchestrationStatus.Running
            else:
                events = events[1:]  # resuming an instance that is not suspended does nothing
        events = [
            e
            for i, e in enumerate(events)
            if i == 0 or e["EventType"] != EventType.EXECUTION_RESUMED
        ]
        if not events:
            self._commit_plain(instance, batch + stale, [], now)
            return

        # An execution's history starts with ExecutionStarted even when events raised during
        # the episode that continued it as new were queued ahead of it (a stable sort).
        events.sort(key=lambda e: e["EventType"] != EventType.EXECUTION_STARTED)
        new_events = [h.orchestrator_started(now), *events]
        orchestrator = self._orchestrators.get(instance.name.lower())
        if orchestrator is None:
            reason = self.catalog.missing_orchestrator(instance.name)
            new_events += [
                h.execution_completed(now, OrchestrationStatus.Failed, reason),
                h.orchestrator_completed(now),
            ]
            self._finish(
                instance,
                batch + stale,
                new_events,
                now,
                terminal=(OrchestrationStatus.Failed, reason, None),
            )
            return

        if instance.status == OrchestrationStatus.Pending or (
            instance.status == OrchestrationStatus.ContinuedAsNew
        ):
            instance.status = OrchestrationStatus.Running
        sdk = await self._call_sdk(instance, orchestrator, past, new_events)
        if self._instances.get(instance.instance_id) is not instance:
            return  # purged or replaced by a new start while the SDK ran: nothing to commit
        replayer = EpisodeReplayer(
            orchestrator_name=orchestrator.durable_name,
            instance_id=instance.instance_id,
            execution_id=instance.execution_id,
            parent_instance_id=instance.parent_instance_id,
            catalog=self.catalog,
        )
        outcome = replayer.replay([*past, *new_events], sdk)
        if outcome.custom_status is not None:
            instance.custom_status = outcome.custom_status
        self._apply_outcome(
            instance, batch + stale, new_events, outcome.decisions, outcome.completion, now
        )

    async def _call_sdk(
        self,
        instance: Instance,
        orchestrator: FunctionMetadata,
        past: list[JsonDict],
        new_events: list[JsonDict],
    ) -> SdkResult:
        history_json = [*(instance.history_json or []), *(json.dumps(e) for e in new_events)]
        context = (
            '{"history": ['
            + ",".join(history_json)
            + "], "
            + json.dumps(
                {
                    "input": _context_input(instance.input),
                    "instanceId": instance.instance_id,
                    "isReplaying": bool(past),
                    "parentInstanceId": instance.parent_instance_id,
                    "upperSchemaVersion": 1,
                    "upperSchemaVersionNew": 3,
                    "longRunningTimerIntervalDuration": "3.00:00:00",
                    "maximumShortTimerDuration": "6.00:00:00",
                    "defaultHttpAsyncRequestSleepTimeMillseconds": 30000,
                }
            )[1:]
        )
        invocation = await self._invoker.invoke(
            orchestrator,
            {orchestrator.trigger_param: meta.Datum(type="string", value=context)},
            instance_id=instance.instance_id,
            executor=self._orchestrator_pool,
        )
        instance.episodes += 1
        instance.cpu_seconds += invocation.cpu_seconds
        if invocation.error is not None:
            error = invocation.error
            stack = "".join(traceback.format_exception(error.__cause__ or error))
            parsed = parse_sdk_failure(str(error))
            if parsed is None:
                return SdkResult(
                    state={"isDone": False, "actions": []}, error=str(error), stack=stack
                )
            parsed.stack = stack
            return parsed
        datum = encode_return(orchestrator, invocation.value)
        value = datum.value if datum is not None else invocation.value
        state = json.loads(value) if isinstance(value, str | bytes) else value
        return SdkResult(state=state)

    def _apply_outcome(
        self,
        instance: Instance,
        consumed: list[Message],
        new_events: list[JsonDict],
        decisions: list[Any],
        completion: Any,
        now: datetime,
    ) -> None:
        activities: list[ScheduleActivity] = []
        timers: list[CreateTimer] = []
        subs: list[StartSubOrchestration] = []
        for decision in decisions:
            if isinstance(decision, ScheduleActivity):
                new_events.append(
                    h.task_scheduled(now, decision.task_id, decision.name, decision.input)
                )
                activities.append(decision)
            elif isinstance(decision, CreateTimer):
                new_events.append(h.timer_created(now, decision.task_id, decision.fire_at))
                timers.append(decision)
            elif isinstance(decision, StartSubOrchestration):
                new_events.append(
                    h.sub_orchestration_created(
                        now, decision.task_id, decision.name, decision.instance_id, decision.input
                    )
                )
                subs.append(decision)

        if isinstance(completion, ContinuedAsNew):
            new_events.append(
                h.execution_completed(now, OrchestrationStatus.ContinuedAsNew, completion.input)
            )
            new_events.append(h.orchestrator_completed(now))
            self._continue_as_new(instance, consumed, new_events, completion.input, now)
            return
        if isinstance(completion, Completed):
            new_events.append(
                h.execution_completed(now, OrchestrationStatus.Completed, completion.output)
            )
            new_events.append(h.orchestrator_completed(now))
            self._finish(
                instance,
                consumed,
                new_events,
                now,
                terminal=(OrchestrationStatus.Completed, completion.output, None),
            )
            return
        if isinstance(completion, Failed):
            new_events.append(
                h.execution_completed(
                    now, OrchestrationStatus.Failed, completion.reason, completion.details
                )
            )
            new_events.append(h.orchestrator_completed(now))
            self._finish(
                instance,
                consumed,
                new_events,
                now,
                terminal=(OrchestrationStatus.Failed, completion.reason, completion.details),
            )
            return

        new_events.append(h.orchestrator_completed(now))
        queued_activities: list[ActivityWork] = []
        queued_timers: list[TimerEntry] = []
        outgoing: list[Message] = []
        children: list[Instance] = []
        with self._store.transaction():
            self._persist_episode(instance, consumed, new_events, now)
            for activity in activities:
                row_id = self._store.add_activity(
                    instance.instance_id,
                    instance.execution_id,
                    activity.task_id,
                    activity.name,
                    activity.input,
                )
                queued_activities.append(
                    ActivityWork(
                        row_id,
                        instance.instance_id,
                        instance.execution_id,
                        activity.task_id,
                        activity.name,
                        activity.input,
                    )
                )
            for timer in timers:
                row_id = self._store.add_timer(
                    instance.instance_id,
                    instance.execution_id,
                    timer.task_id,
                    h.format_timestamp(timer.fire_at),
                )
                queued_timers.append(
                    TimerEntry(
                        timer.fire_at,
                        row_id,
                        instance.instance_id,
                        instance.execution_id,
                        timer.task_id,
                    )
                )
            for sub in subs:
                child, message = self._start_child(instance, sub, now)
                if child is not None:
                    children.append(child)
                outgoing.append(message)
        self._after_commit(instance, new_events)
        for child in children:
            self._install(child, [])
        self._activity_queue.extend(queued_activities)
        if queued_activities:
            self._activity_event.set()
        for entry in queued_timers:
            heapq.heappush(self._timers, entry)
        if queued_timers:
            self._timers_changed.set()
        self._deliver(outgoing)

    def _start_child(
        self, parent: Instance, sub: StartSubOrchestration, now: datetime
    ) -> tuple[Instance | None, Message]:
        existing = self._instances.get(sub.instance_id)
        if existing is not None and existing.status in RUNNING_STATUSES:
            # DurableTask would drop the duplicate start and leave the parent waiting; failing the
            # call says what happened instead.
            failure = h.sub_orchestration_failed(
                now,
                sub.task_id,
                f"An orchestration instance with ID '{sub.instance_id}' already exists and is "
                f"{existing.status.name}.",
                None,
            )
            return None, self._queue_message(parent.instance_id, parent.execution_id, failure)
        execution_id = str(uuid.uuid4())
        parent_info = h.parent_instance(
            parent.name, parent.instance_id, parent.execution_id, sub.task_id
        )
        child = self._reset_instance(
            sub.instance_id, sub.name, execution_id, sub.input, parent_info, now
        )
        started = h.execution_started(
            now,
            name=sub.name,
            instance_id=sub.instance_id,
            execution_id=execution_id,
            raw_input=sub.input,
            parent=parent_info,
        )
        return child, self._queue_message(sub.instance_id, execution_id, started)

    def _persist_episode(
        self,
        instance: Instance,
        consumed: list[Message],
        new_events: list[JsonDict],
        now: datetime,
    ) -> None:
        instance.last_updated_time = now
        self._store.delete_messages(m.id for m in consumed)
        if new_events:
            self._store.append_history(
                instance.instance_id,
                instance.history_length,
                [_played(e) for e in new_events],
            )
        self._store.save_instance(instance.row())

    def _after_commit(self, instance: Instance, new_events: list[JsonDict]) -> None:
        if instance.history is None:
            self.load_history(instance)
        else:
            assert instance.history_json is not None
            instance.history.extend({**e, "IsPlayed": True} for e in new_events)
            instance.history_json.extend(_played(e) for e in new_events)
            instance.history_length = len(instance.history)
        self._notify()

    def _commit_plain(
        self,
        instance: Instance,
        consumed: list[Message],
        new_events: list[JsonDict],
        now: datetime,
    ) -> None:
        with self._store.transaction():
            self._persist_episode(instance, consumed, new_events, now)
        self._after_commit(instance, new_events)

    def _finish(
        self,
        instance: Instance,
        consumed: list[Message],
        new_events: list[JsonDict],
        now: datetime,
        *,
        terminal: tuple[OrchestrationStatus, str | None, str | None],
    ) -> None:
        status, output, details = terminal
        instance.status = status
        instance.output = output
        instance.failure_details = details
        notify: Message | None = None
        with self._store.transaction():
            self._persist_episode(instance, consumed, new_events, now)
            self._store.delete_timers_for(instance.instance_id)
            # Messages that arrived meanwhile are for a finished instance: dropped, as on Azure.
            self._store.delete_messages(m.id for m in instance.inbox)
            if instance.parent is not None:
                notify = self._notify_parent(instance, status, output, details, now)
        self._after_commit(instance, new_events)
        # A finished instance's history is read again only for showHistory: free it.
        instance.history = None
        instance.history_json = None
        self._timers = [t for t in self._timers if t.instance_id != instance.instance_id]
        heapq.heapify(self._timers)
        self._timers_changed.set()
        instance.inbox.clear()
        if notify is not None:
            self._deliver([notify])
        log.info(
            "orchestration %s (%s) %s",
            instance.instance_id,
            instance.name,
            status.name,
        )

    def _notify_parent(
        self,
        instance: Instance,
        status: OrchestrationStatus,
        output: str | None,
        details: str | None,
        now: datetime,
    ) -> Message | None:
        assert instance.parent is not None
        parent_ref = instance.parent["OrchestrationInstance"]
        parent_id = str(parent_ref["InstanceId"])
        if parent_id not in self._instances:
            return None
        task_id = int(instance.parent["TaskScheduleId"])
        if status == OrchestrationStatus.Completed:
            event = h.sub_orchestration_completed(now, task_id, output)
        else:
            event = h.sub_orchestration_failed(now, task_id, output or status.name, details)
        return self._queue_message(parent_id, str(parent_ref["ExecutionId"]), event)

    def _continue_as_new(
        self,
        instance: Instance,
        consumed: list[Message],
        new_events: list[JsonDict],
        raw_input: str | None,
        now: datetime,
    ) -> None:
        execution_id = str(uuid.uuid4())
        with self._store.transaction():
            self._store.delete_messages(m.id for m in consumed)
            self._store.delete_timers_for(instance.instance_id)
            self._store.clear_history(instance.instance_id)
            instance.execution_id = execution_id
            instance.input = raw_input
            instance.status = OrchestrationStatus.ContinuedAsNew
            instance.last_updated_time = now
            instance.history = []
            instance.history_json = []
            instance.history_length = 0
            self._store.save_instance(instance.row())
            started = h.execution_started(
                now,
                name=instance.name,
                instance_id=instance.instance_id,
                execution_id=execution_id,
                raw_input=raw_input,
                parent=instance.parent,
            )
            message = self._queue_message(instance.instance_id, execution_id, started)
        self._timers = [t for t in self._timers if t.instance_id != instance.instance_id]
        heapq.heapify(self._timers)
        self._timers_changed.set()
        self._deliver([message])

    # -- activities ---------------------------------------------------------------------------

    async def _activity_loop(self) -> None:
        while True:
            if not self._activity_queue:
                self._activity_event.clear()
                await self._activity_event.wait()
                continue
            await self._activity_slots.acquire()
            if not self._activity_queue:
                self._activity_slots.release()
                continue
            work = self._activity_queue.popleft()
            self._running_activities += 1
            self._spawn(self._run_activity(work), name=f"activity {work.name}")

    async def _run_activity(self, work: ActivityWork) -> None:
        try:
            event = await self._execute_activity(work)
            now = self._clock.now()
            event["Timestamp"] = h.format_timestamp(now)
            target = self._instances.get(work.instance_id)
            message: Message | None = None
            with self._store.transaction():
                self._store.delete_activity(work.row_id)
                if (
                    target is not None
                    and target.execution_id == work.execution_id
                    and not target.is_terminal
                ):
                    message = self._queue_message(work.instance_id, work.execution_id, event)
            if message is not None:
                self._deliver([message])
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("activity %s of %s failed inside devhost", work.name, work.instance_id)
        finally:
            self._running_activities -= 1
            self._activity_slots.release()
            self._notify()

    async def _execute_activity(self, work: ActivityWork) -> JsonDict:
        now = self._clock.now()
        function = self._activities.get(work.name.lower())
        if function is None:
            return h.task_failed(now, work.task_id, self.catalog.missing_activity(work.name), None)
        data: dict[str, meta.Datum | None] = {
            function.trigger_param: meta.Datum(type="string", value=work.input)
        }
        for name in function.params_of_type(DURABLE_CLIENT):
            binding = self._client_binding() if self._client_binding else None
            data[name] = None if binding is None else meta.Datum(type="string", value=binding)
        invocation = await self._invoker.invoke(function, data, instance_id=work.instance_id)
        if invocation.error is None:
            try:
                datum = encode_return(function, invocation.value)
            except Exception as error:
                return _activity_failure(now, work, function, error)
            result = None if datum is None else datum.value
            return h.task_completed(now, work.task_id, result)
        return _activity_failure(now, work, function, invocation.error)

    # -- timers -------------------------------------------------------------------------------

    async def _timer_loop(self) -> None:
        while True:
            self._fire_due_timers()
            self._timers_changed.clear()
            upcoming = self.next_timer()
            waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(self._timers_changed.wait())]
            if upcoming is not None:
                waits.append(asyncio.ensure_future(self._clock.sleep_until(upcoming)))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()

    def _fire_due_timers(self) -> None:
        now = self._clock.now()
        due: list[TimerEntry] = []
        while self._timers and self._timers[0].fire_at <= now:
            due.append(heapq.heappop(self._timers))
        if not due:
            return
        messages: list[Message] = []
        with self._store.transaction():
            for timer in due:
                self._store.delete_timer(timer.row_id)
                target = self._instances.get(timer.instance_id)
                if target is None or target.execution_id != timer.execution_id:
                    continue
                event = h.timer_fired(timer.fire_at, timer.timer_id, timer.fire_at)
                messages.append(self._queue_message(timer.instance_id, timer.execution_id, event))
        self._deliver(messages)


def _activity_failure(
    now: datetime, work: ActivityWork, function: FunctionMetadata, error: BaseException
) -> JsonDict:
    # The worker reports "<type>: <message>"; the extension prefixes the activity name.
    reason = f"Activity function '{function.durable_name}' failed: {type(error).__name__}: {error}"
    details = "".join(traceback.format_exception(error))
    log.error("%s", reason)
    return h.task_failed(now, work.task_id, reason, details)
