"""The episode runner: one orchestrator episode per ready instance, as DurableTask batches them.

An instance's pending messages are processed together in one episode (as DTFx batches a work
item). The runner takes the batch (:meth:`EpisodeRunner._take_batch`: suspension holds messages
back, stale ones are dropped), handles terminate and suspend itself, and otherwise adds an
``OrchestratorStarted`` event stamped with the host clock, calls the SDK's orchestrator function on
the whole history (in a thread pool of ``maxConcurrentOrchestratorFunctions``), lets
:mod:`devhost.replay` turn the answer into an outcome and hands it to
:class:`~devhost.executions.Executions`, which commits it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.functions import meta

from devhost import history as h
from devhost.bindings import FunctionMetadata, encode_return
from devhost.executions import Executions
from devhost.history import EventType, JsonDict, OrchestrationStatus
from devhost.instances import Instance, Message
from devhost.invoker import Invoker
from devhost.protocol import FunctionCatalog, SdkResult, parse_sdk_failure
from devhost.replay import EpisodeReplayer
from devhost.runtime import Runtime

log = logging.getLogger("devhost")


class EpisodeRunner:
    name = "orchestrations"

    def __init__(
        self,
        runtime: Runtime,
        executions: Executions,
        *,
        orchestrators: Mapping[str, FunctionMetadata],
        catalog: FunctionCatalog,
        invoker: Invoker,
        max_concurrent: int,
    ) -> None:
        self._rt = runtime
        self._executions = executions
        self._orchestrators = orchestrators  # by lower-cased durable name
        self._catalog = catalog
        self._invoker = invoker
        self._running = 0
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, max_concurrent), thread_name_prefix="devhost-orchestrator"
        )
        self._slots = asyncio.Semaphore(max(1, max_concurrent))

    def recover(self) -> None:
        for instance in self._rt.instances.values():
            self._rt.offer(instance)

    def is_idle(self) -> bool:
        return not self._rt.has_ready() and self._running == 0

    def close(self) -> None:
        # Threads cannot be interrupted; a killed host re-runs what they were doing.
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def run(self) -> None:
        while True:
            instance_id = self._rt.take_ready()
            if instance_id is None:
                await self._rt.wait_ready()
                continue
            instance = self._rt.instances.get(instance_id)
            if instance is None or instance.running:
                continue  # a running episode re-queues its instance when it finishes
            await self._slots.acquire()
            instance.running = True
            self._running += 1
            self._rt.spawn(self._episode(instance), name=f"episode {instance_id}")

    async def _episode(self, instance: Instance) -> None:
        try:
            await self._run_episode(instance)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("episode of %s failed inside devhost", instance.instance_id)
        finally:
            instance.running = False
            self._running -= 1
            self._slots.release()
            current = self._rt.instances.get(instance.instance_id)
            if current is not None:
                current.running = False
                self._rt.offer(current)
            self._rt.notify()

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
                with self._rt.store.transaction():
                    self._rt.instances.consume(stale)
            return
        now = self._rt.clock.now()
        past = self._rt.instances.load_history(instance)
        consumed = batch + stale
        kinds = [m.event["EventType"] for m in batch]

        if EventType.EXECUTION_TERMINATED in kinds:
            terminated = batch[kinds.index(EventType.EXECUTION_TERMINATED)]
            reason = terminated.event.get("Input")
            # Terminated before it ever ran: its history still starts with ExecutionStarted.
            first = [m.event for m in batch if m.event["EventType"] == EventType.EXECUTION_STARTED]
            new_events = [h.orchestrator_started(now), *first[:1], terminated.event]
            self._executions.finish(
                instance, consumed, new_events, now, OrchestrationStatus.Terminated, reason
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
                self._executions.commit(instance, consumed, new_events, now)
            else:
                self._executions.commit(instance, consumed, [], now)
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
            self._executions.commit(instance, consumed, [], now)
            return

        # An execution's history starts with ExecutionStarted even when events raised during
        # the episode that continued it as new were queued ahead of it (a stable sort).
        events.sort(key=lambda e: e["EventType"] != EventType.EXECUTION_STARTED)
        new_events = [h.orchestrator_started(now), *events]
        orchestrator = self._orchestrators.get(instance.name.lower())
        if orchestrator is None:
            reason = self._catalog.missing_orchestrator(instance.name)
            self._executions.finish(
                instance, consumed, new_events, now, OrchestrationStatus.Failed, reason
            )
            return

        if instance.status == OrchestrationStatus.Pending or (
            instance.status == OrchestrationStatus.ContinuedAsNew
        ):
            instance.status = OrchestrationStatus.Running
        sdk = await self._call_sdk(instance, orchestrator, past, new_events)
        if self._rt.instances.get(instance.instance_id) is not instance:
            return  # purged or replaced by a new start while the SDK ran: nothing to commit
        replayer = EpisodeReplayer(
            orchestrator_name=orchestrator.durable_name,
            instance_id=instance.instance_id,
            execution_id=instance.execution_id,
            parent_instance_id=instance.parent_instance_id,
            catalog=self._catalog,
        )
        outcome = replayer.replay([*past, *new_events], sdk)
        self._executions.apply(instance, consumed, new_events, outcome, now)

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
            executor=self._pool,
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


def _context_input(raw: str | None) -> Any:
    # The extension hands the SDK ``JToken.Parse(rawInput)``: a JSON document, not its text.
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw
