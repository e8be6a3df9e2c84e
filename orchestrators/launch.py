"""Running a migration's batches: when each may start, and listening to what they report.

A batch starts once (1) the batch before it of the same definition, if any, has started its
versions, and (2) the subscription has version slots free for it (``MAX_CONCURRENT_VERSIONS``,
the ``version_slots`` entity shared by every migration of the app); batches wait for slots in
order, asking again when a batch of this migration frees its slots and every few minutes (for
those that others free). Each batch reports ``prepared`` and ``replicated``; a batch that ends
without reporting (it failed) counts as done.

Every wait here has the report event among its tasks, so no report is ever left unread (the
Python SDK keeps one unread event per name), and goes through ``orchestrators.timers.wait_any``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

from migration.domain.selection import Batch
from migration.domain.state import BatchReport
from migration.durable.jobs import (
    BATCH_ORCHESTRATOR,
    BATCH_REPORT_EVENT,
    SLOTS_ENTITY,
    BatchInput,
    batch_id,
    decoded,
)
from orchestrators.timers import MAX_TIMER, wait_any

# How often a batch waiting for slots asks again when nothing of this migration frees any.
SLOTS_RETRY = timedelta(minutes=10)


class Launcher:
    def __init__(
        self,
        context: df.DurableOrchestrationContext,
        migration_id: str,
        subscription: str,
        limit: int,
        job_of: Callable[[Batch], BatchInput],
        on_report: Callable[[BatchReport], None],
    ) -> None:
        self.context = context
        self.migration_id = migration_id
        self.slots = df.EntityId(SLOTS_ENTITY, subscription.lower())
        self.limit = limit
        self.job_of = job_of
        self.on_report = on_report
        self.running: dict[int, Any] = {}
        self.replicated: dict[int, list[str]] = {}

    def run(
        self, batches: list[Batch], on_end: Callable[[int, Any], None]
    ) -> Generator[Any, Any, dict[int, list[str]]]:
        """Run every batch until each has replicated or ended; the replicated sources of each."""
        queue = [b for b in batches if b.after is None]
        waiting_for = {b.index for b in batches}
        prepared: set[int] = set()
        asking: tuple[Batch, Any] | None = None
        retry_at: datetime | None = None  # when to ask for slots again
        report = self.context.wait_for_external_event(BATCH_REPORT_EVENT)
        while waiting_for:
            if asking is None and retry_at is None and queue:
                asking = (queue[0], self._ask(queue[0]))
            tasks = [report, *(t for i, t in self.running.items() if i in waiting_for)]
            if asking is not None:
                tasks.append(asking[1])
            wake_at = retry_at or self.context.current_utc_datetime + MAX_TIMER
            winner = yield from wait_any(self.context, tasks, wake_at)
            if winner is None:
                if retry_at is not None and self.context.current_utc_datetime >= retry_at:
                    retry_at = None
            elif winner is report:
                news = BatchReport.from_json(decoded(report.result))
                report = self.context.wait_for_external_event(BATCH_REPORT_EVENT)
                self.on_report(news)
                if news.stage == "prepared" and news.batch not in prepared:
                    prepared.add(news.batch)
                    queue += [b for b in batches if b.after == news.batch]
                elif news.stage == "replicated" and news.batch in waiting_for:
                    self.replicated[news.batch] = news.replicated
                    waiting_for.discard(news.batch)
                    self._free(news.batch)
                    retry_at = None
            elif asking is not None and winner is asking[1]:
                batch, answer = asking
                asking = None
                if isinstance(answer.result, dict) and answer.result.get("granted"):
                    queue.remove(batch)
                    self._start(batch)
                else:
                    retry_at = self.context.current_utc_datetime + SLOTS_RETRY
            else:
                index = next(i for i, task in self.running.items() if task is winner)
                waiting_for.discard(index)
                self._free(index)
                on_end(index, winner)
                # A batch that ended before preparing (it failed) still lets its followers go.
                queue += [
                    b
                    for b in batches
                    if b.after == index and b.index not in self.running and b not in queue
                ]
                retry_at = None
        return {b: sources for b, sources in self.replicated.items() if sources}

    def _ask(self, batch: Batch) -> Any:
        owner = batch_id(self.migration_id, batch.index)
        return self.context.call_entity(
            self.slots, "acquire", {"owner": owner, "count": len(batch.images), "limit": self.limit}
        )

    def _start(self, batch: Batch) -> None:
        job = self.job_of(batch)
        self.running[batch.index] = self.context.call_sub_orchestrator(
            BATCH_ORCHESTRATOR, job.to_json(), batch_id(self.migration_id, batch.index)
        )

    def _free(self, index: int) -> None:
        owner = batch_id(self.migration_id, index)
        self.context.signal_entity(self.slots, "release", {"owner": owner})
        return
