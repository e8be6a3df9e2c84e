"""The activity worker: a queue of scheduled activities run under a concurrency limit.

An episode's ``ScheduleActivity`` decisions become rows (:meth:`ActivityWorker.add`, inside the
episode's transaction) and, once it commits, queue entries (:meth:`ActivityWorker.enqueue`). The
loop starts each one when a slot is free (``maxConcurrentActivityFunctions``); a run invokes the
function through the worker's bindings and commits its result in one transaction: the row goes and
a ``TaskCompleted`` / ``TaskFailed`` message is queued for the execution that scheduled it (a
result for an execution that has ended or been replaced is dropped). A host killed in between runs
the activity again (at-least-once, as on Azure).

``rerun_rate`` makes that visible without a kill: the share of activities whose first result is
thrown away and that run again at once, as when a worker finishes the work but its result is
lost (a lease ran out, the completion message never arrived). Which ones is drawn from the
activity's own ids, so a run picks the same ones again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import traceback
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime

from azure.functions import meta

from devhost import history as h
from devhost.bindings import FunctionMetadata, encode_return
from devhost.history import JsonDict
from devhost.instances import Instance, Message
from devhost.invoker import Invoker
from devhost.protocol import FunctionCatalog, ScheduleActivity
from devhost.runtime import Runtime
from devhost.store import ActivityRow

log = logging.getLogger("devhost")


class ActivityWorker:
    name = "activities"

    def __init__(
        self,
        runtime: Runtime,
        *,
        functions: Mapping[str, FunctionMetadata],
        catalog: FunctionCatalog,
        invoker: Invoker,
        client_binding: Callable[[], str] | None,
        max_concurrent: int,
        rerun_rate: float = 0.0,
    ) -> None:
        self._rt = runtime
        self._rerun_rate = rerun_rate
        self._functions = functions  # by lower-cased durable name
        self._catalog = catalog
        self._invoker = invoker
        # Any function may take a durable client, activities too (to raise events, say).
        self._client_binding = client_binding
        self._queue: deque[ActivityRow] = deque()
        self._running = 0
        self._slots = asyncio.Semaphore(max(1, max_concurrent))
        self._queued = asyncio.Event()

    def recover(self) -> None:
        self._queue.extend(self._rt.store.activities())
        if self._queue:
            self._queued.set()

    def is_idle(self) -> bool:
        return not self._queue and self._running == 0

    def add(self, instance: Instance, activity: ScheduleActivity) -> ActivityRow:
        """Store the activity (in the caller's transaction); :meth:`enqueue` it once committed."""
        row_id = self._rt.store.add_activity(
            instance.instance_id,
            instance.execution_id,
            activity.task_id,
            activity.name,
            activity.input,
        )
        return ActivityRow(
            row_id,
            instance.instance_id,
            instance.execution_id,
            activity.task_id,
            activity.name,
            activity.input,
        )

    def enqueue(self, work: list[ActivityRow]) -> None:
        self._queue.extend(work)
        if work:
            self._queued.set()

    async def run(self) -> None:
        while True:
            if not self._queue:
                self._queued.clear()
                await self._queued.wait()
                continue
            await self._slots.acquire()
            if not self._queue:
                self._slots.release()
                continue
            work = self._queue.popleft()
            self._running += 1
            self._rt.spawn(self._run(work), name=f"activity {work.name}")

    async def _run(self, work: ActivityRow) -> None:
        try:
            event = await self._execute(work)
            if self._rerun(work):
                log.warning(
                    "re-running activity %s of %s (its first result is dropped)",
                    work.name,
                    work.instance_id,
                )
                event = await self._execute(work)
            now = self._rt.clock.now()
            event["Timestamp"] = h.format_timestamp(now)
            target = self._rt.instances.get(work.instance_id)
            message: Message | None = None
            with self._rt.store.transaction():
                self._rt.store.delete_activity(work.id)
                if (
                    target is not None
                    and target.execution_id == work.execution_id
                    and not target.is_terminal
                ):
                    message = self._rt.instances.queue_message(
                        work.instance_id, work.execution_id, event
                    )
            if message is not None:
                self._rt.deliver([message])
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("activity %s of %s failed inside devhost", work.name, work.instance_id)
        finally:
            self._running -= 1
            self._slots.release()
            self._rt.notify()

    def _rerun(self, work: ActivityRow) -> bool:
        if self._rerun_rate <= 0:
            return False
        draw = random.Random(f"{work.instance_id}:{work.task_id}:{work.name}").random()
        return draw < self._rerun_rate

    async def _execute(self, work: ActivityRow) -> JsonDict:
        now = self._rt.clock.now()
        function = self._functions.get(work.name.lower())
        if function is None:
            return h.task_failed(now, work.task_id, self._catalog.missing_activity(work.name), None)
        data: dict[str, meta.Datum | None] = {
            function.trigger_param: meta.Datum(type="string", value=work.input),
            **function.client_inputs(self._client_binding),
        }
        invocation = await self._invoker.invoke(function, data, instance_id=work.instance_id)
        if invocation.error is None:
            try:
                datum = encode_return(function, invocation.value)
            except Exception as error:
                return _failure(now, work, function, error)
            result = None if datum is None else datum.value
            return h.task_completed(now, work.task_id, result)
        return _failure(now, work, function, invocation.error)


def _failure(
    now: datetime, work: ActivityRow, function: FunctionMetadata, error: BaseException
) -> JsonDict:
    # The worker reports "<type>: <message>"; the extension prefixes the activity name.
    reason = f"Activity function '{function.durable_name}' failed: {type(error).__name__}: {error}"
    details = "".join(traceback.format_exception(error))
    log.error("%s", reason)
    return h.task_failed(now, work.task_id, reason, details)
