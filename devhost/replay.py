"""The host side of an orchestrator episode: what the Durable extension and DurableTask.Core do.

The Python SDK replays the user's generator and answers with the full list of actions it has
scheduled since the instance started. It never checks them against history, and it does not
know the sequence numbers that the framework gives them. The extension does both: its
``OutOfProcOrchestrationShim`` calls the DurableTask context API once per action, awaiting each
in turn, while DurableTask.Core walks the history, matching ``TaskScheduled``/``TimerCreated``/
``SubOrchestrationInstanceCreated`` events against the actions by sequence number (a mismatch is a
``NonDeterministicOrchestrationException``) and resolving tasks as completions are replayed.
Actions left unmatched at the end are the episode's new decisions, and the instance completes only
once the shim has finished and no task is still open (pending timers and activities included).

This module reproduces that with :class:`EpisodeReplayer`: it drives the shim's action loop over
the task model of :mod:`devhost.tasks` (futures resolved synchronously, as DurableTask's
single-threaded scheduler does) and the retry interceptor of :mod:`devhost.retry`, so sequence
numbers come out exactly as the framework would assign them; :mod:`devhost.matching` checks the
history against the actions. The types it answers with are in :mod:`devhost.protocol`.

Entity calls and signals are what the extension's ``CallDurableTaskFunctionAsync`` makes of them:
a ``SendEvent`` of a RequestMessage (one sequence number, ``EventSent`` in history) whose id is a
replayable GUID, and, for a call, a wait for the external event named by that id.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

from devhost.entity_protocol import (
    REQUEST_EVENT,
    EntityRequest,
    OutgoingLabels,
    is_entity_id,
    operation_input,
    request_guid,
    response_is_error,
    split_scheduler_id,
)
from devhost.history import EventType, JsonDict, parse_timestamp
from devhost.matching import SCHEDULING_EVENTS, NonDeterminismError, ScheduledAction, match
from devhost.protocol import (
    CALL_ACTIVITY,
    CALL_ACTIVITY_WITH_RETRY,
    CALL_ENTITY,
    CALL_HTTP,
    CALL_SUB_ORCHESTRATOR,
    CALL_SUB_ORCHESTRATOR_WITH_RETRY,
    CONTINUE_AS_NEW,
    CREATE_TIMER,
    CUSTOM_STATUS_LIMIT,
    SCHEDULED_SIGNAL_ENTITY,
    SIGNAL_ENTITY,
    WAIT_FOR_EXTERNAL_EVENT,
    WHEN_ALL,
    WHEN_ANY,
    Completed,
    ContinuedAsNew,
    CreateTimer,
    EpisodeOutcome,
    Failed,
    FunctionCatalog,
    SdkResult,
)
from devhost.retry import RetryPolicy, retrying
from devhost.tasks import Coroutine, Future, ProgramFault, all_of, any_of, completed, spawn

_UNSUPPORTED_ACTIONS = {
    CALL_HTTP: "call_http (durable HTTP)",
    # The Python SDK has no API that produces it.
    SCHEDULED_SIGNAL_ENTITY: "scheduled entity signals",
}


class EpisodeReplayer:
    """Replays one episode of one instance, as the extension and DurableTask.Core would."""

    def __init__(
        self,
        *,
        orchestrator_name: str,
        instance_id: str,
        execution_id: str,
        parent_instance_id: str | None,
        catalog: FunctionCatalog,
    ) -> None:
        self._name = orchestrator_name
        self._instance_id = instance_id
        self._execution_id = execution_id
        self._parent_instance_id = parent_instance_id
        self._catalog = catalog
        self._id_counter = 0
        self._actions: dict[int, ScheduledAction] = {}
        self._open: dict[int, Future] = {}
        self._waiting_events: dict[str, deque[Future]] = {}
        self._entity_calls: set[str] = set()  # request ids whose response fails if an exception
        self._guid_counter = 0
        self._labels = OutgoingLabels()
        self._buffered_events: dict[str, deque[str | None]] = {}
        self._now: datetime | None = None
        self._program: Future | None = None
        self._fault: ProgramFault | None = None
        self._continue_as_new: str | None = None
        self._continued = False
        self._output: str | None = None

    # -- entry point ---------------------------------------------------------------------------

    def replay(self, history: Iterable[JsonDict], sdk: SdkResult) -> EpisodeOutcome:
        outcome = EpisodeOutcome()
        custom_status = sdk.state.get("customStatus")
        if custom_status is not None:
            text = json.dumps(custom_status)
            # The extension fails an out-of-process orchestration whose custom status is over
            # 16 KB of UTF-16 (azure-functions-durable-extension#3113), rather than store it.
            size = len(text.encode("utf-16-le"))
            if size > CUSTOM_STATUS_LIMIT:
                outcome.completion = Failed(
                    f"The custom status is {size} bytes of UTF-16 JSON; the limit is "
                    f"{CUSTOM_STATUS_LIMIT} bytes (16 KB).",
                    None,
                )
                return outcome
            outcome.custom_status = text
        try:
            for event in history:
                self._process(event, sdk)
        except NonDeterminismError as error:
            outcome.completion = Failed(str(error), None)
            return outcome

        for task_id in sorted(self._actions):
            outcome.decisions.append(self._actions[task_id].decision(task_id))

        program = self._program
        if program is not None and program.done and not self._open:
            if self._fault is not None:
                outcome.completion = Failed(self._fault.reason, self._fault.details)
            elif self._continued:
                outcome.completion = ContinuedAsNew(self._continue_as_new)
            else:
                outcome.completion = Completed(self._output)
            # Only cancelled timers can be left once nothing is open; they have no effect.
            outcome.decisions = [d for d in outcome.decisions if not isinstance(d, CreateTimer)]
        return outcome

    # -- history -------------------------------------------------------------------------------

    def _process(self, event: JsonDict, sdk: SdkResult) -> None:
        kind = event["EventType"]
        if kind == EventType.ORCHESTRATOR_STARTED:
            self._now = parse_timestamp(event["Timestamp"])
        elif kind == EventType.EXECUTION_STARTED:
            self._program = self._spawn(self._shim(sdk))
        elif kind in SCHEDULING_EVENTS:
            match(self._actions, event)
        elif kind in (EventType.TASK_COMPLETED, EventType.SUB_ORCHESTRATION_COMPLETED):
            self._resolve(event["TaskScheduledId"], failed=False)
        elif kind in (EventType.TASK_FAILED, EventType.SUB_ORCHESTRATION_FAILED):
            self._resolve(event["TaskScheduledId"], failed=True)
        elif kind == EventType.TIMER_FIRED:
            self._resolve(event["TimerId"], failed=False)
        elif kind == EventType.EVENT_RAISED:
            self._raise_event(event.get("Name") or "", event.get("Input"))

    def _resolve(self, task_id: int, *, failed: bool) -> None:
        future = self._open.pop(task_id, None)
        if future is not None:  # else a duplicate, which DurableTask logs and ignores
            future.resolve(failed=failed)

    def _raise_event(self, name: str, payload: str | None) -> None:
        if self._continued:
            return  # Python orchestrations do not carry events over a continue-as-new
        key = name.lower()
        waiting = self._waiting_events.get(key)
        if waiting:
            # The newest waiter takes it, as DurableTask and the SDK do: in a task_any loop the
            # older waiters belong to rounds that are already over.
            failed = key in self._entity_calls and response_is_error(payload)
            waiting.pop().resolve(failed=failed)
        else:
            self._buffered_events.setdefault(key, deque()).append(payload)

    # -- the shim program ----------------------------------------------------------------------

    def _shim(self, sdk: SdkResult) -> Coroutine:
        for action in sdk.actions:
            task = self._invoke(action)
            # The shim swallows task failures: the SDK has already decided what they mean.
            yield task
        if sdk.error is not None:
            raise ProgramFault(
                f"Orchestrator function '{self._name}' failed: {sdk.error}",
                f"Message: {sdk.error}, StackTrace: {sdk.stack or ''}",
            )
        if sdk.state.get("isDone"):
            output = sdk.state.get("output")
            self._output = None if output is None else json.dumps(output)
            return
        yield Future()  # more work to do: never completes in this episode

    def _invoke(self, action: JsonDict) -> Future:
        kind = action.get("actionType")
        if kind == CALL_ACTIVITY:
            name = self._require_activity(action)
            return self._schedule_task(name, action.get("input"))
        if kind == CALL_ACTIVITY_WITH_RETRY:
            name = self._require_activity(action)
            raw_input = action.get("input")
            return self._with_retry(action, lambda: self._schedule_task(name, raw_input))
        if kind == CALL_SUB_ORCHESTRATOR:
            name, instance_id = self._require_orchestrator(action)
            return self._create_sub(name, instance_id, action.get("input"))
        if kind == CALL_SUB_ORCHESTRATOR_WITH_RETRY:
            name, instance_id = self._require_orchestrator(action)
            raw_input = action.get("input")
            return self._with_retry(action, lambda: self._create_sub(name, instance_id, raw_input))
        if kind == CONTINUE_AS_NEW:
            self._continued = True
            # The action's input is JSON text; DurableTask serialises it once more.
            self._continue_as_new = json.dumps(action.get("input"))
            return completed()
        if kind == CREATE_TIMER:
            fire_at = parse_timestamp(action["fireAt"])
            future, task_id = self._create_timer(fire_at)
            if action.get("isCanceled"):
                # Cancelling removes the open task; the TimerCreated decision still stands.
                self._open.pop(task_id, None)
                future.resolve(failed=True)
            return future
        if kind == WAIT_FOR_EXTERNAL_EVENT:
            return self._wait_for_event(action.get("externalEventName") or "")
        if kind in (CALL_ENTITY, SIGNAL_ENTITY):
            return self._send_to_entity(action, signal=kind == SIGNAL_ENTITY)
        if kind == WHEN_ALL:
            return all_of([self._invoke(child) for child in action.get("compoundActions") or []])
        if kind == WHEN_ANY:
            return any_of([self._invoke(child) for child in action.get("compoundActions") or []])
        if kind in _UNSUPPORTED_ACTIONS:
            raise self._failure(f"devhost does not support {_UNSUPPORTED_ACTIONS[kind]}.")
        raise ProgramFault(
            f"Received an unexpected action type from the out-of-proc function: '{kind}'."
        )

    def _failure(self, reason: str) -> ProgramFault:
        return ProgramFault(f"Orchestrator function '{self._name}' failed: {reason}")

    def _require_activity(self, action: JsonDict) -> str:
        name = str(action.get("functionName") or "")
        if not self._catalog.has_activity(name):
            raise self._failure(self._catalog.missing_activity(name))
        return name

    def _require_orchestrator(self, action: JsonDict) -> tuple[str, str | None]:
        name = str(action.get("functionName") or "")
        if not self._catalog.has_orchestrator(name):
            raise self._failure(self._catalog.missing_orchestrator(name))
        instance_id = action.get("instanceId")
        if instance_id and is_entity_id(instance_id):
            # The extension's ArgumentException(nameof(instanceId), text): message and parameter
            # name are swapped, so this is its Message.
            raise self._failure(
                "instanceId (Parameter 'Orchestration instance ids must not start with @')"
            )
        if instance_id and instance_id.lower() in {
            self._instance_id.lower(),
            (self._parent_instance_id or "").lower(),
        }:
            raise self._failure(
                "The instance ID of a sub-orchestration must be different than the instance ID "
                "of a parent orchestration."
            )
        return name, instance_id or None

    # -- tasks ---------------------------------------------------------------------------------

    def _next_id(self) -> int:
        task_id = self._id_counter
        self._id_counter += 1
        return task_id

    def _open_task(self, task_id: int, action: ScheduledAction) -> Future:
        self._actions[task_id] = action
        future = Future()
        self._open[task_id] = future
        return future

    def _schedule_task(self, name: str, raw_input: str | None) -> Future:
        return self._open_task(self._next_id(), ScheduledAction("task", name=name, input=raw_input))

    def _create_timer(self, fire_at: datetime) -> tuple[Future, int]:
        task_id = self._next_id()
        return self._open_task(task_id, ScheduledAction("timer", fire_at=fire_at)), task_id

    def _create_sub(self, name: str, instance_id: str | None, raw_input: str | None) -> Future:
        task_id = self._next_id()
        actual = instance_id or f"{self._execution_id}:{task_id}"
        # The action's input is JSON text; DurableTask serialises it once more.
        action = ScheduledAction("sub", name=name, input=json.dumps(raw_input), instance_id=actual)
        return self._open_task(task_id, action)

    def _wait_for_event(self, name: str) -> Future:
        key = name.lower()
        buffered = self._buffered_events.get(key)
        if buffered:
            buffered.popleft()
            return completed()
        future = Future()
        self._waiting_events.setdefault(key, deque()).append(future)
        return future

    def _send_to_entity(self, action: JsonDict, *, signal: bool) -> Future:
        target = str(action.get("instanceId") or "")
        try:
            name, _key = split_scheduler_id(target)
        except ValueError as error:  # the SDK always sends @name@key; anything else is a fault
            raise self._failure(str(error)) from error
        if not self._catalog.has_entity(name):
            raise self._failure(self._catalog.missing_entity(name))
        now = self._current_time()
        request_id = request_guid(self._instance_id, now, self._guid_counter)
        self._guid_counter += 1
        request = EntityRequest(
            id=request_id,
            operation=str(action.get("operation") or ""),
            input=operation_input(action.get("input")),
            signal=signal,
            parent=self._instance_id,
            parent_execution=self._execution_id,
        )
        timestamp, predecessor = self._labels.label(target, now)
        message = ScheduledAction(
            "event",
            name=REQUEST_EVENT,
            input=request.to_json(timestamp, predecessor),
            instance_id=target,
        )
        self._actions[self._next_id()] = message
        if signal:
            return completed()
        self._entity_calls.add(request_id)
        return self._wait_for_event(request_id)

    def _with_retry(self, action: JsonDict, attempt: Callable[[], Future]) -> Future:
        policy = RetryPolicy.from_json(action.get("retryOptions") or {})
        return self._spawn(
            retrying(
                attempt,
                policy,
                now=self._current_time,
                create_timer=lambda fire_at: self._create_timer(fire_at)[0],
            )
        )

    def _current_time(self) -> datetime:
        if self._now is None:  # pragma: no cover - every episode starts with OrchestratorStarted
            raise RuntimeError("history does not start with OrchestratorStarted")
        return self._now

    def _spawn(self, coroutine: Coroutine) -> Future:
        return spawn(coroutine, self._record_fault)

    def _record_fault(self, fault: ProgramFault) -> None:
        self._fault = fault
