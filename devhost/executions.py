"""How an instance's execution changes: started, moved on by an episode, continued, finished.

Each change is one store transaction followed by the in-memory updates it implies, in that order,
so that a failed commit leaves memory as it was:

- :meth:`Executions.install`: a new execution (a client's start or a sub-orchestration, stored
  by :meth:`~devhost.instances.InstanceTable.new_execution`) replaces whatever the id held;
- :meth:`Executions.apply`: an episode's outcome, i.e. its decisions handed to the part that runs
  them (activities to the :class:`~devhost.activities.ActivityWorker`, timers to the
  :class:`~devhost.timers.Timers`, sub-orchestrations started here), then its completion;
- :meth:`Executions.commit`: an episode that only records events (suspend, resume, nothing new);
- :meth:`Executions.finish`: a terminal status; the parent, if any, gets
  ``SubOrchestrationInstanceCompleted`` / ``Failed``;
- continue-as-new: a fresh history for a new execution of the same instance.

Entity messages (calls and signals) are ``EventSent`` in history and ``op`` messages queued for
the entity, delivered after the commit; unlike activities and timers they are sent whatever the
episode's outcome (completing, failing or continuing as new), as DurableTask sends every
``SendEvent`` action of an episode.

A new kind of decision is handled in :meth:`Executions.apply`: its history event, then its row
or message inside the transaction and its hand-over after it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from devhost import history as h
from devhost.activities import ActivityWorker
from devhost.history import JsonDict, OrchestrationStatus
from devhost.instances import RUNNING_STATUSES, Instance, Message
from devhost.protocol import (
    Completed,
    ContinuedAsNew,
    CreateTimer,
    EpisodeOutcome,
    Failed,
    ScheduleActivity,
    SendEntityMessage,
    StartSubOrchestration,
)
from devhost.runtime import Runtime
from devhost.store import ActivityRow
from devhost.timers import TimerEntry, Timers

log = logging.getLogger("devhost")


class Executions:
    def __init__(self, runtime: Runtime, activities: ActivityWorker, timers: Timers) -> None:
        self._rt = runtime
        self._activities = activities
        self._timers = timers

    # -- new executions ------------------------------------------------------------------------

    def install(self, instance: Instance, messages: list[Message]) -> None:
        """Once its transaction commits, a new execution takes the id's place in memory."""
        previous = self._rt.instances.get(instance.instance_id)
        if previous is not None:
            # An episode of the replaced execution may still be in flight: it must finish (and
            # find itself replaced) before this instance runs.
            instance.running = previous.running
            self._timers.forget(instance.instance_id)
        self._rt.instances.put(instance)
        self._rt.deliver(messages)

    # -- an episode's outcome ------------------------------------------------------------------

    def apply(
        self,
        instance: Instance,
        consumed: list[Message],
        new_events: list[JsonDict],
        outcome: EpisodeOutcome,
        now: datetime,
    ) -> None:
        """Commit an episode's decisions (their events and their work), or its completion."""
        if outcome.custom_status is not None:
            instance.custom_status = outcome.custom_status
        activities: list[ScheduleActivity] = []
        timers: list[CreateTimer] = []
        subs: list[StartSubOrchestration] = []
        sends: list[SendEntityMessage] = []
        for decision in outcome.decisions:
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
            elif isinstance(decision, SendEntityMessage):
                new_events.append(
                    h.event_sent(
                        now, decision.task_id, decision.target, decision.name, decision.input
                    )
                )
                sends.append(decision)

        completion = outcome.completion
        if isinstance(completion, ContinuedAsNew):
            # The episode's events are not stored: the next execution starts a fresh history.
            self._continue_as_new(instance, consumed, completion.input, now, sends)
            return
        if isinstance(completion, Completed):
            self.finish(
                instance,
                consumed,
                new_events,
                now,
                OrchestrationStatus.Completed,
                completion.output,
                sends=sends,
            )
            return
        if isinstance(completion, Failed):
            self.finish(
                instance,
                consumed,
                new_events,
                now,
                OrchestrationStatus.Failed,
                completion.reason,
                completion.details,
                sends=sends,
            )
            return

        new_events.append(h.orchestrator_completed(now))
        queued_activities: list[ActivityRow] = []
        queued_timers: list[TimerEntry] = []
        outgoing: list[Message] = []
        children: list[Instance] = []
        with self._rt.store.transaction():
            self._rt.instances.record_episode(instance, consumed, new_events, now)
            for activity in activities:
                queued_activities.append(self._activities.add(instance, activity))
            for timer in timers:
                queued_timers.append(self._timers.add(instance, timer))
            for sub in subs:
                child, message = self._start_child(instance, sub, now)
                if child is not None:
                    children.append(child)
                outgoing.append(message)
            outgoing.extend(self._queue_sends(sends, now))
        self._committed(instance, new_events)
        for child in children:
            self.install(child, [])
        self._activities.enqueue(queued_activities)
        self._timers.arm(queued_timers)
        self._rt.deliver(outgoing)

    def commit(
        self,
        instance: Instance,
        consumed: list[Message],
        new_events: list[JsonDict],
        now: datetime,
    ) -> None:
        """Record an episode that changes nothing but history (and the instance row)."""
        with self._rt.store.transaction():
            self._rt.instances.record_episode(instance, consumed, new_events, now)
        self._committed(instance, new_events)

    def finish(
        self,
        instance: Instance,
        consumed: list[Message],
        new_events: list[JsonDict],
        now: datetime,
        status: OrchestrationStatus,
        output: str | None,
        details: str | None = None,
        *,
        sends: list[SendEntityMessage] | None = None,
    ) -> None:
        """End the execution: the episode's events close with ``ExecutionCompleted``."""
        new_events.append(h.execution_completed(now, status, output, details))
        new_events.append(h.orchestrator_completed(now))
        instance.status = status
        instance.output = output
        instance.failure_details = details
        outgoing: list[Message] = []
        with self._rt.store.transaction():
            self._rt.instances.record_episode(instance, consumed, new_events, now)
            self._timers.cancel(instance.instance_id)
            # Messages that arrived meanwhile are for a finished instance: dropped, as on Azure.
            self._rt.instances.consume(instance.inbox)
            outgoing.extend(self._queue_sends(sends or [], now))
            if instance.parent is not None:
                notify = self._notify_parent(instance, status, output, details, now)
                if notify is not None:
                    outgoing.append(notify)
        self._committed(instance, new_events)
        # A finished instance's history is read again only for showHistory: free it.
        instance.history = None
        instance.history_json = None
        self._timers.forget(instance.instance_id)
        instance.inbox.clear()
        self._rt.deliver(outgoing)
        log.info(
            "orchestration %s (%s) %s",
            instance.instance_id,
            instance.name,
            status.name,
        )

    # -- plumbing ------------------------------------------------------------------------------

    def _committed(self, instance: Instance, new_events: list[JsonDict]) -> None:
        self._rt.instances.remember(instance, new_events)
        self._rt.notify()

    def _queue_sends(self, sends: list[SendEntityMessage], now: datetime) -> list[Message]:
        """The entity requests, as the ``EventRaised`` messages DurableTask sends the target."""
        return [
            self._rt.instances.queue_message(s.target, None, h.event_raised(now, s.name, s.input))
            for s in sends
        ]

    def _start_child(
        self, parent: Instance, sub: StartSubOrchestration, now: datetime
    ) -> tuple[Instance | None, Message]:
        existing = self._rt.instances.get(sub.instance_id)
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
            message = self._rt.instances.queue_message(
                parent.instance_id, parent.execution_id, failure
            )
            return None, message
        parent_info = h.parent_instance(
            parent.name, parent.instance_id, parent.execution_id, sub.task_id
        )
        return self._rt.instances.new_execution(
            sub.instance_id, sub.name, sub.input, now, parent=parent_info
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
        if parent_id not in self._rt.instances:
            return None
        task_id = int(instance.parent["TaskScheduleId"])
        if status == OrchestrationStatus.Completed:
            event = h.sub_orchestration_completed(now, task_id, output)
        else:
            event = h.sub_orchestration_failed(now, task_id, output or status.name, details)
        return self._rt.instances.queue_message(parent_id, str(parent_ref["ExecutionId"]), event)

    def _continue_as_new(
        self,
        instance: Instance,
        consumed: list[Message],
        raw_input: str | None,
        now: datetime,
        sends: list[SendEntityMessage],
    ) -> None:
        with self._rt.store.transaction():
            message = self._rt.instances.continue_as_new(instance, consumed, raw_input, now)
            outgoing = [message, *self._queue_sends(sends, now)]
        self._timers.forget(instance.instance_id)
        self._rt.deliver(outgoing)
