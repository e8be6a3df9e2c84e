"""What passes between the SDK, the replayer and the engine in one orchestrator episode.

The SDK answers an episode with its orchestrator state (:class:`SdkResult`: the actions it has
scheduled since the instance started, grouped, and whether it is done). :mod:`devhost.replay`
turns that into an :class:`EpisodeOutcome`: the new decisions (activities, timers and
sub-orchestrations to start, entity messages to send, numbered as DurableTask numbers them) and,
when the instance is done, its completion. The engine commits the outcome.
:class:`FunctionCatalog` holds the function names the extension knows, for its "doesn't exist"
messages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from devhost.history import JsonDict

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

# What the extension accepts as a custom status: 16 KB of UTF-16 JSON text.
CUSTOM_STATUS_LIMIT = 16 * 1024


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


@dataclass(frozen=True)
class SendEntityMessage:
    """DurableTask's SendEvent: an entity operation request (``EventSent`` in history)."""

    task_id: int
    target: str  # the entity's scheduler id, @name@key
    name: str  # the event name: "op"
    input: str  # the RequestMessage JSON


Decision = ScheduleActivity | CreateTimer | StartSubOrchestration | SendEntityMessage


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
class EpisodeOutcome:
    decisions: list[Decision] = field(default_factory=list)
    completion: Completion | None = None
    custom_status: str | None = None  # JSON text when the SDK reported one


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


@dataclass
class FunctionCatalog:
    """Names the extension knows, for its 'doesn't exist' checks."""

    activities: Sequence[str]
    orchestrators: Sequence[str]
    entities: Sequence[str] = ()

    def has_activity(self, name: str) -> bool:
        return _knows(self.activities, name)

    def has_orchestrator(self, name: str) -> bool:
        return _knows(self.orchestrators, name)

    def missing_activity(self, name: str) -> str:
        return _missing(name, "an activity", "activity", self.activities)

    def missing_orchestrator(self, name: str) -> str:
        return _missing(name, "an orchestrator", "orchestrator", self.orchestrators)

    def has_entity(self, name: str) -> bool:
        return _knows(self.entities, name)

    def missing_entity(self, name: str) -> str:
        # The extension decides between listing and "none registered" on the number of known
        # *orchestrators* (GetInvalidEntityFunctionMessage), so an app with no orchestrator is
        # told that no entity is registered.
        return _missing(name, "an entity", "entity", self.entities, listed=bool(self.orchestrators))


def _knows(known: Sequence[str], name: str) -> bool:
    return any(candidate.lower() == name.lower() for candidate in known)


def _missing(
    name: str, article_kind: str, kind: str, known: Sequence[str], *, listed: bool | None = None
) -> str:
    # The extension's text, word for word (it is what callers see in a failure reason).
    message = (
        f"The function '{name}' doesn't exist, is disabled, or is not {article_kind} function. "
        "Additional info: "
    )
    if bool(known) if listed is None else listed:
        names = "', '".join(known)
        return message + f"The following are the known {kind} functions: '{names}'."
    return message + f"No {kind} functions are currently registered!"
