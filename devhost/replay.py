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

This module reproduces that: a small deterministic task model (futures resolved synchronously, as
DurableTask's single-threaded scheduler does) drives the shim's action loop and the retry
interceptor, so sequence numbers come out exactly as the framework would assign them.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from devhost.history import EventType, JsonDict, parse_timestamp

# Action types of the out-of-process protocol (OutOfProcOrchestrationShim.AsyncActionType).
CALL_ACTIVITY = 0
CALL_ACTIVITY_WITH_RETRY = 1
CALL_SUB_ORCHESTRATOR = 2
CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
CONTINUE_AS_NEW = 4
CREATE_TIMER = 5
WAIT_FOR_EXTERNAL_EVENT = 6
CALL_ENTITY = 7
CALL_HTTP = 8
SIGNAL_ENTITY = 9
SCHEDULED_SIGNAL_ENTITY = 10
WHEN_ANY = 11
WHEN_ALL = 12

_UNSUPPORTED_ACTIONS = {
    CALL_ENTITY: "call_entity",
    CALL_HTTP: "call_http",
    SIGNAL_ENTITY: "signal_entity",
    SCHEDULED_SIGNAL_ENTITY: "signal_entity",
}

_ND_SUFFIX = (
    "Was a change made to the orchestrator code after this instance had already started running?"
)


@dataclass(frozen=True)
class ScheduleActivity:
    task_id: int
    name: str
    input: str | None


@dataclass(frozen=True)
class CreateTimer:
    task_id: int
    fire_at: datetime


@dataclass(frozen=True)
class StartSubOrchestration:
    task_id: int
    name: str
    instance_id: str
    input: str | None


Decision = ScheduleActivity | CreateTimer | StartSubOrchestration


@dataclass(frozen=True)
class Completed:
    output: str | None  # JSON text, or None for no output


@dataclass(frozen=True)
class Failed:
    reason: str
    details: str | None


@dataclass(frozen=True)
class ContinuedAsNew:
    input: str | None  # the raw input of the next execution


Completion = Completed | Failed | ContinuedAsNew


@dataclass
class SdkResult:
    """What the SDK's orchestrator handle answered: its state, plus the error text if it threw."""

    state: JsonDict
    error: str | None = None
    stack: str | None = None

    @property
    def actions(self) -> list[JsonDict]:
        groups = self.state.get("actions") or []
        flat: list[JsonDict] = []
        for group in groups:
            flat.extend(group)
        return flat


# What the extension accepts as a custom status: 16 KB of UTF-16 JSON text.
CUSTOM_STATUS_LIMIT = 16 * 1024


@dataclass
class EpisodeOutcome:
    decisions: list[Decision] = field(default_factory=list)
    completion: Completion | None = None
    custom_status: str | None = None  # JSON text when the SDK reported one


@dataclass
class FunctionCatalog:
    """Names the extension knows, for its 'doesn't exist' checks."""

    activities: Sequence[str]
    orchestrators: Sequence[str]

    def has_activity(self, name: str) -> bool:
        return any(known.lower() == name.lower() for known in self.activities)

    def has_orchestrator(self, name: str) -> bool:
        return any(known.lower() == name.lower() for known in self.orchestrators)

    def missing_activity(self, name: str) -> str:
        message = (
            f"The function '{name}' doesn't exist, is disabled, or is not an activity function. "
            "Additional info: "
        )
        if self.activities:
            known = "', '".join(self.activities)
            return message + f"The following are the known activity functions: '{known}'."
        return message + "No activity functions are currently registered!"

    def missing_orchestrator(self, name: str) -> str:
        message = (
            f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator "
            "function. Additional info: "
        )
        if self.orchestrators:
            known = "', '".join(self.orchestrators)
            return message + f"The following are the known orchestrator functions: '{known}'."
        return message + "No orchestrator functions are currently registered!"


class NonDeterminismError(Exception):
    def __init__(self, details: str) -> None:
        super().__init__(f"Non-Deterministic workflow detected: {details}")


class _ProgramFault(Exception):
    """The shim program threw: the orchestration fails with this reason."""

    def __init__(self, reason: str, details: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class _TaskFaulted(Exception):
    """A task awaited by a shim coroutine failed (the retry interceptor rethrows it)."""


class _Future:
    """A .NET Task as DurableTask's scheduler runs it: continuations run inline, in order."""

    __slots__ = ("_callbacks", "done", "failed")

    def __init__(self) -> None:
        self.done = False
        self.failed = False
        self._callbacks: list[Callable[[_Future], None]] = []

    def resolve(self, *, failed: bool = False) -> None:
        if self.done:
            return
        self.done = True
        self.failed = failed
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def on_done(self, callback: Callable[[_Future], None]) -> None:
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)


def _completed() -> _Future:
    future = _Future()
    future.resolve()
    return future


_Coroutine = Generator[_Future, bool | None, None]


@dataclass(frozen=True)
class _RetryPolicy:
    first_interval: timedelta
    max_attempts: int
    backoff: float = 1.0
    max_interval: timedelta | None = None
    timeout: timedelta | None = None

    @classmethod
    def from_json(cls, data: JsonDict) -> _RetryPolicy:
        def ms(key: str) -> timedelta | None:
            value = data.get(key)
            return None if value is None else timedelta(milliseconds=float(value))

        first = ms("firstRetryIntervalInMilliseconds") or timedelta(0)
        return cls(
            first_interval=first,
            max_attempts=int(data.get("maxNumberOfAttempts", 1)),
            backoff=float(data.get("backoffCoefficient", 1.0)),
            max_interval=ms("maxRetryIntervalInMilliseconds"),
            timeout=ms("retryTimeoutInMilliseconds"),
        )

    def next_delay(self, attempt: int, first_attempt: datetime, now: datetime) -> timedelta:
        # DurableTask.Core's RetryInterceptor.ComputeNextDelay with the default Handle (retry all).
        if self.timeout is not None and now >= first_attempt + self.timeout:
            return timedelta(0)
        delay = self.first_interval * (self.backoff**attempt)
        if self.max_interval is not None and delay > self.max_interval:
            delay = self.max_interval
        return delay


@dataclass
class _ScheduledAction:
    kind: str  # "task" | "timer" | "sub"
    name: str = ""
    input: str | None = None
    fire_at: datetime | None = None
    instance_id: str = ""


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
        self._actions: dict[int, _ScheduledAction] = {}
        self._open: dict[int, _Future] = {}
        self._waiting_events: dict[str, deque[_Future]] = {}
        self._buffered_events: dict[str, deque[str | None]] = {}
        self._now: datetime | None = None
        self._program: _Future | None = None
        self._fault: _ProgramFault | None = None
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
            outcome.decisions.append(self._decision(task_id, self._actions[task_id]))

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
        elif kind == EventType.TASK_SCHEDULED:
            self._match_task_scheduled(event)
        elif kind == EventType.TIMER_CREATED:
            self._match_timer_created(event)
        elif kind == EventType.SUB_ORCHESTRATION_CREATED:
            self._match_sub_orchestration_created(event)
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
            waiting.pop().resolve()
        else:
            self._buffered_events.setdefault(key, deque()).append(payload)

    def _match_task_scheduled(self, event: JsonDict) -> None:
        task_id = event["EventId"]
        name = event.get("Name")
        action = self._actions.get(task_id)
        if action is None:
            raise NonDeterminismError(
                f"A previous execution of this orchestration scheduled an activity task with "
                f"sequence ID {task_id} and name '{name}' (version ''), but the current replay "
                f"execution hasn't (yet?) scheduled this task. {_ND_SUFFIX}"
            )
        if action.kind != "task":
            raise NonDeterminismError(
                f"A previous execution of this orchestration scheduled an activity task with "
                f"sequence number {task_id} named '{name}', but the current orchestration replay "
                f"instead produced a {_ACTION_NAMES[action.kind]} action with this sequence "
                f"number. {_ND_SUFFIX}"
            )
        if (name or "").lower() != action.name.lower():
            raise NonDeterminismError(
                f"A previous execution of this orchestration scheduled an activity task with "
                f"sequence number {task_id} named '{name}', but the current orchestration replay "
                f"instead scheduled an activity task named '{action.name}' with this sequence "
                f"number.  {_ND_SUFFIX}"
            )
        del self._actions[task_id]

    def _match_timer_created(self, event: JsonDict) -> None:
        task_id = event["EventId"]
        action = self._actions.get(task_id)
        if action is None:
            raise NonDeterminismError(
                f"A previous execution of this orchestration scheduled a timer task with sequence "
                f"number {task_id} but the current replay execution hasn't (yet?) scheduled this "
                f"task. {_ND_SUFFIX}"
            )
        if action.kind != "timer":
            raise NonDeterminismError(
                f"A previous execution of this orchestration scheduled a timer task with sequence "
                f"number {task_id} named but the current orchestration replay instead produced a "
                f"{_ACTION_NAMES[action.kind]} action with this sequence number. {_ND_SUFFIX}"
            )
        del self._actions[task_id]

    def _match_sub_orchestration_created(self, event: JsonDict) -> None:
        task_id = event["EventId"]
        name = event.get("Name")
        described = (
            f"A previous execution of this orchestration scheduled a sub-orchestration task with "
            f"sequence ID {task_id} and name '{name}' (version '', instance ID "
            f"'{event.get('InstanceId')}')"
        )
        action = self._actions.get(task_id)
        if action is None:
            raise NonDeterminismError(
                f"{described}, but the current replay execution hasn't (yet?) scheduled this "
                f"task. {_ND_SUFFIX}"
            )
        if action.kind != "sub":
            raise NonDeterminismError(
                f"{described}, but the current orchestration replay instead produced a "
                f"{_ACTION_NAMES[action.kind]} action at this sequence number. {_ND_SUFFIX}"
            )
        if (name or "").lower() != action.name.lower():
            raise NonDeterminismError(
                f"{described}, but the current orchestration replay instead scheduled a "
                f"sub-orchestration task with name {action.name} at this sequence number. "
                f"{_ND_SUFFIX}"
            )
        del self._actions[task_id]

    # -- the shim program ----------------------------------------------------------------------

    def _shim(self, sdk: SdkResult) -> _Coroutine:
        for action in sdk.actions:
            task = self._invoke(action)
            # The shim swallows task failures: the SDK has already decided what they mean.
            yield task
        if sdk.error is not None:
            raise _ProgramFault(
                f"Orchestrator function '{self._name}' failed: {sdk.error}",
                f"Message: {sdk.error}, StackTrace: {sdk.stack or ''}",
            )
        if sdk.state.get("isDone"):
            output = sdk.state.get("output")
            self._output = None if output is None else json.dumps(output)
            return
        yield _Future()  # more work to do: never completes in this episode

    def _invoke(self, action: JsonDict) -> _Future:
        kind = action.get("actionType")
        if kind == CALL_ACTIVITY:
            name = self._require_activity(action)
            return self._schedule_task(name, action.get("input"))
        if kind == CALL_ACTIVITY_WITH_RETRY:
            name = self._require_activity(action)
            policy = _RetryPolicy.from_json(action.get("retryOptions") or {})
            raw_input = action.get("input")
            return self._spawn(self._retry(lambda: self._schedule_task(name, raw_input), policy))
        if kind == CALL_SUB_ORCHESTRATOR:
            name, instance_id = self._require_orchestrator(action)
            return self._create_sub(name, instance_id, action.get("input"))
        if kind == CALL_SUB_ORCHESTRATOR_WITH_RETRY:
            name, instance_id = self._require_orchestrator(action)
            policy = _RetryPolicy.from_json(action.get("retryOptions") or {})
            raw_input = action.get("input")
            return self._spawn(
                self._retry(lambda: self._create_sub(name, instance_id, raw_input), policy)
            )
        if kind == CONTINUE_AS_NEW:
            self._continued = True
            # The action's input is JSON text; DurableTask serialises it once more.
            self._continue_as_new = json.dumps(action.get("input"))
            return _completed()
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
        if kind == WHEN_ALL:
            return _all_of([self._invoke(child) for child in action.get("compoundActions") or []])
        if kind == WHEN_ANY:
            return _any_of([self._invoke(child) for child in action.get("compoundActions") or []])
        if kind in _UNSUPPORTED_ACTIONS:
            raise _ProgramFault(
                f"Orchestrator function '{self._name}' failed: devhost does not support "
                f"{_UNSUPPORTED_ACTIONS[kind]} (durable entities and durable HTTP are not "
                "implemented)."
            )
        raise _ProgramFault(
            f"Received an unexpected action type from the out-of-proc function: '{kind}'."
        )

    def _require_activity(self, action: JsonDict) -> str:
        name = str(action.get("functionName") or "")
        if not self._catalog.has_activity(name):
            raise _ProgramFault(
                f"Orchestrator function '{self._name}' failed: "
                + self._catalog.missing_activity(name)
            )
        return name

    def _require_orchestrator(self, action: JsonDict) -> tuple[str, str | None]:
        name = str(action.get("functionName") or "")
        if not self._catalog.has_orchestrator(name):
            raise _ProgramFault(
                f"Orchestrator function '{self._name}' failed: "
                + self._catalog.missing_orchestrator(name)
            )
        instance_id = action.get("instanceId")
        if instance_id and instance_id.lower() in {
            self._instance_id.lower(),
            (self._parent_instance_id or "").lower(),
        }:
            raise _ProgramFault(
                f"Orchestrator function '{self._name}' failed: The instance ID of a "
                "sub-orchestration must be different than the instance ID of a parent "
                "orchestration."
            )
        return name, instance_id or None

    def _next_id(self) -> int:
        task_id = self._id_counter
        self._id_counter += 1
        return task_id

    def _schedule_task(self, name: str, raw_input: str | None) -> _Future:
        task_id = self._next_id()
        self._actions[task_id] = _ScheduledAction("task", name=name, input=raw_input)
        future = _Future()
        self._open[task_id] = future
        return future

    def _create_timer(self, fire_at: datetime) -> tuple[_Future, int]:
        task_id = self._next_id()
        self._actions[task_id] = _ScheduledAction("timer", fire_at=fire_at)
        future = _Future()
        self._open[task_id] = future
        return future, task_id

    def _create_sub(self, name: str, instance_id: str | None, raw_input: str | None) -> _Future:
        task_id = self._next_id()
        actual = instance_id or f"{self._execution_id}:{task_id}"
        # The action's input is JSON text; DurableTask serialises it once more.
        self._actions[task_id] = _ScheduledAction(
            "sub", name=name, input=json.dumps(raw_input), instance_id=actual
        )
        future = _Future()
        self._open[task_id] = future
        return future

    def _wait_for_event(self, name: str) -> _Future:
        key = name.lower()
        buffered = self._buffered_events.get(key)
        if buffered:
            buffered.popleft()
            return _completed()
        future = _Future()
        self._waiting_events.setdefault(key, deque()).append(future)
        return future

    def _retry(self, attempt: Callable[[], _Future], policy: _RetryPolicy) -> _Coroutine:
        first_attempt = self._current_time()
        for retry_count in range(policy.max_attempts):
            failed = yield attempt()
            if not failed:
                return
            delay = policy.next_delay(retry_count, first_attempt, self._current_time())
            if delay <= timedelta(0):
                break
            timer, _ = self._create_timer(self._current_time() + delay)
            yield timer
        raise _TaskFaulted()

    def _current_time(self) -> datetime:
        if self._now is None:  # pragma: no cover - every episode starts with OrchestratorStarted
            raise RuntimeError("history does not start with OrchestratorStarted")
        return self._now

    def _spawn(self, coroutine: _Coroutine) -> _Future:
        result = _Future()

        # The first send is None, which starts a fresh generator; later sends carry whether the
        # awaited task failed.
        def step(failed: bool | None) -> None:
            # Loop rather than recurse while awaited tasks are already complete: a long history
            # replays thousands of completed awaits in a row.
            while True:
                try:
                    awaited = coroutine.send(failed)
                except StopIteration:
                    result.resolve()
                    return
                except _TaskFaulted:
                    result.resolve(failed=True)
                    return
                except _ProgramFault as fault:
                    self._fault = fault
                    result.resolve(failed=True)
                    return
                if awaited.done:
                    failed = awaited.failed
                    continue
                awaited.on_done(lambda future: step(future.failed))
                return

        step(None)
        return result

    def _decision(self, task_id: int, action: _ScheduledAction) -> Decision:
        if action.kind == "task":
            return ScheduleActivity(task_id, action.name, action.input)
        if action.kind == "timer":
            assert action.fire_at is not None
            return CreateTimer(task_id, action.fire_at)
        return StartSubOrchestration(task_id, action.name, action.instance_id, action.input)


_ACTION_NAMES = {
    "task": "ScheduleTaskOrchestratorAction",
    "timer": "CreateTimerOrchestratorAction",
    "sub": "CreateSubOrchestrationAction",
}


def _all_of(children: list[_Future]) -> _Future:
    result = _Future()
    remaining = [len(children)]
    any_failed = [False]
    if not children:
        result.resolve()
        return result

    def on_child(child: _Future) -> None:
        remaining[0] -= 1
        any_failed[0] = any_failed[0] or child.failed
        if remaining[0] == 0:
            result.resolve(failed=any_failed[0])

    for child in children:
        child.on_done(on_child)
    return result


def _any_of(children: list[_Future]) -> _Future:
    result = _Future()
    if not children:
        result.resolve()
        return result
    for child in children:
        child.on_done(lambda _child: result.resolve())
    return result


def parse_sdk_failure(message: str) -> SdkResult | None:
    """Split the SDK's ``<error>\\n\\n$OutOfProcData$:<state json>`` exception text."""
    label = "\n\n$OutOfProcData$:"
    index = message.find(label)
    if index < 0:
        return None
    try:
        state = json.loads(message[index + len(label) :])
    except ValueError:
        return None
    if not isinstance(state, dict):
        return None
    error = state.get("error") or message[:index]
    return SdkResult(state=state, error=str(error))
