"""Durable entities on the wire: ids, request and response messages, the SDK's batch JSON.

The Durable extension 2.x runs a Python entity as a scheduler (``TaskEntityShim``) that receives
``RequestMessage``s and answers calls with ``ResponseMessage``s, both carried as DurableTask
events, and hands the SDK one batch of operations per invocation. This module holds those shapes,
as the extension writes them (Azure/azure-functions-durable-extension,
``EntityScheduler/RequestMessage.cs``, ``ResponseMessage.cs``, ``EntityId.cs``,
``MessageSorter.cs``, ``GuidManager.cs``, ``Bindings/EntityTriggerAttributeBindingProvider.cs``
and ``Listener/TaskEntityShim.cs``):

- an entity's instance id is its scheduler id ``@<name, lower-cased>@<key>``;
- a request is an ``EventRaised`` named ``op`` whose input is the RequestMessage JSON
  (``{"op", "signal"?, "input"?, "id", "parent"?, "parentExecution"?, "Timestamp",
  "Predecessor"}``, compact, defaults left out); an orchestration records it as ``EventSent``;
- a response is an ``EventRaised`` named by the request's id whose input is
  ``{"result": <json text>}`` or ``{"result": ..., "exceptionType": "Error"}``;
- the SDK gets ``{"self": {"name", "key"}, "exists", "state", "batch": [{"name", "input",
  "isSignal"}]}`` and answers ``{"entityExists", "entityState", "results": [{"isError",
  "result", ...}], "signals": [{"target": {"name", "key"}, "name", "input"}]}``.

Operation inputs are JSON text serialised once more (the extension's ``SetInput``), which is why
the SDK's ``get_input`` decodes twice.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from devhost.history import JsonDict

REQUEST_EVENT = "op"
# The extension's default EntityMessageReorderWindowInMinutes (30) and the sorter's minimum
# interval between clean-ups, in .NET ticks (100 ns).
_TICKS_PER_SECOND = 10**7
_REORDER_WINDOW = 30 * 60 * _TICKS_PER_SECOND
_COLLECTION_INTERVAL = 10 * _TICKS_PER_SECOND
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
# GuidManager.UrlNamespaceValue: the namespace of the orchestration's deterministic request ids.
_GUID_NAMESPACE = uuid.UUID("9e952959-5e33-4daf-827f-2fa12937b875")
_INVALID_KEY = (
    "entityKey (Parameter 'Entity keys must not contain /, \\, #, ?, or control characters.')"
)
INVALID_RESULT = "Out of proc orchestrators must return a valid JSON schema."


class EntityProtocolError(ValueError):
    """The SDK's answer is not the JSON the extension expects."""


# -- ids -----------------------------------------------------------------------------------------


def is_entity_id(instance_id: str) -> bool:
    return instance_id.startswith("@")


def scheduler_id(name: str, key: str) -> str:
    """EntityId's instance id: the name lower-cased (entity names are case-insensitive)."""
    return f"@{name.lower()}@{key}"


def split_scheduler_id(instance_id: str) -> tuple[str, str]:
    """``@name@key`` -> (name, key); the key may itself contain ``@``."""
    position = instance_id.find("@", 1)
    if not is_entity_id(instance_id) or position < 0:
        raise ValueError(f"not an entity instance id: {instance_id!r}")
    return instance_id[1:position], instance_id[position + 1 :]


def check_key(key: str) -> None:
    """DurableClient.SignalEntityAsync's check (its ArgumentException's arguments are swapped)."""
    if any(c in "/\\?#" or _is_control(c) for c in key):
        raise ValueError(_INVALID_KEY)


def _is_control(c: str) -> bool:
    return ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F


# -- .NET times as Json.NET writes them ----------------------------------------------------------


@dataclass(frozen=True)
class DotNetTime:
    """A .NET DateTime: ticks since 0001-01-01 and whether its Kind is Utc."""

    ticks: int = 0
    utc: bool = False

    @classmethod
    def of(cls, value: datetime) -> DotNetTime:
        micros = (value.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
        return cls(micros * 10, utc=True)

    def to_json(self) -> str:
        """Json.NET's ISO format: ``yyyy-MM-ddTHH:mm:ss.FFFFFFFK`` (trailing zeros dropped)."""
        seconds, fraction = divmod(self.ticks, _TICKS_PER_SECOND)
        moment = _EPOCH + timedelta(seconds=seconds)
        text = f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S")
        if fraction:
            text += "." + f"{fraction:07d}".rstrip("0")
        return text + ("Z" if self.utc else "")


def round_trip(value: datetime) -> str:
    """.NET's ``ToString("o")`` of a UTC DateTime: always seven fractional digits."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


class OutgoingLabels:
    """MessageSorter.LabelOutgoingMessage: a timestamp per request, unique per destination.

    An orchestration rebuilds it on every replay from the messages it sends, so the labels come
    out the same each time. Receiving entities would use them to reorder and de-duplicate; the
    devhost queue delivers each message once and in order, so only the labels are reproduced.
    """

    def __init__(self) -> None:
        self._last: dict[str, DotNetTime] | None = None
        self._send_horizon = 0

    def label(self, destination: str, now: datetime) -> tuple[DotNetTime, DotNetTime]:
        """(Timestamp, Predecessor) of the next request to ``destination``."""
        timestamp = DotNetTime.of(now)
        predecessor = DotNetTime()
        if self._send_horizon + _REORDER_WINDOW + _COLLECTION_INTERVAL < timestamp.ticks:
            self._send_horizon = timestamp.ticks - _REORDER_WINDOW
            if self._last is not None:
                self._last = {d: t for d, t in self._last.items() if t.ticks >= self._send_horizon}
        key = destination.lower()
        if self._last is None:
            self._last = {}
        elif key in self._last:
            predecessor = self._last[key]
            if timestamp.ticks <= predecessor.ticks:
                # ``new DateTime(last.Ticks + 1)``: one tick later, and of Kind Unspecified.
                timestamp = DotNetTime(predecessor.ticks + 1)
        self._last[key] = timestamp
        return timestamp, predecessor


def request_guid(instance_id: str, now: datetime, counter: int) -> str:
    """DurableOrchestrationContext.NewGuid: a name-based (v5) UUID, replayable."""
    return str(uuid.uuid5(_GUID_NAMESPACE, f"{instance_id}_{round_trip(now)}_{counter}"))


# -- requests and responses ----------------------------------------------------------------------


@dataclass(frozen=True)
class EntityRequest:
    """A RequestMessage: an operation call (answered) or signal (one-way)."""

    id: str
    operation: str
    input: str | None  # JSON text of the operation's JSON text, or None
    signal: bool
    parent: str | None = None
    parent_execution: str | None = None

    def to_json(self, timestamp: DotNetTime, predecessor: DotNetTime) -> str:
        body: JsonDict = {"op": self.operation}
        if self.signal:
            body["signal"] = True
        if self.input is not None:
            body["input"] = self.input
        body["id"] = self.id
        if self.parent is not None:
            body["parent"] = self.parent
        if self.parent_execution is not None:
            body["parentExecution"] = self.parent_execution
        body["Timestamp"] = timestamp.to_json()
        body["Predecessor"] = predecessor.to_json()
        return _compact(body)

    @classmethod
    def from_json(cls, text: str) -> EntityRequest:
        body = json.loads(text)
        return cls(
            id=str(body["id"]),
            operation=str(body.get("op") or ""),
            input=body.get("input"),
            signal=bool(body.get("signal")),
            parent=body.get("parent"),
            parent_execution=body.get("parentExecution"),
        )


def operation_input(raw_json: str | None) -> str | None:
    """RequestMessage.SetInput: the input's JSON text, serialised as a JSON string."""
    return None if raw_json is None else json.dumps(raw_json, ensure_ascii=False)


def response_json(result: str | None, is_error: bool) -> str:
    body: JsonDict = {"result": result}
    if is_error:
        body["exceptionType"] = "Error"
    return _compact(body)


def response_is_error(text: str | None) -> bool:
    """Whether a response event's input carries an exception (the caller's task fails)."""
    try:
        body = json.loads(text or "")
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("exceptionType") is not None


def _compact(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


# -- the batch the SDK runs ----------------------------------------------------------------------


def batch_request(
    name: str, key: str, exists: bool, state: str | None, requests: list[EntityRequest]
) -> str:
    """EntityContextToString: the trigger's JSON (JObject.ToString(), indented)."""
    body = {
        "self": {"name": name, "key": key},
        "exists": exists,
        "state": state,
        "batch": [{"name": r.operation, "input": r.input, "isSignal": r.signal} for r in requests],
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class OperationOutcome:
    result: str | None  # JSON text (the SDK's df_dumps), or the error message's JSON text
    is_error: bool


@dataclass(frozen=True)
class EntitySignal:
    target: str  # scheduler id
    operation: str
    input: str | None


@dataclass(frozen=True)
class BatchOutcome:
    exists: bool
    state: str | None
    results: list[OperationOutcome]
    signals: list[EntitySignal]


def parse_batch_result(value: Any, size: int) -> BatchOutcome:
    """TaskEntityShim.OutOfProcResult from the SDK's answer (one result per operation)."""
    try:
        body = json.loads(value) if isinstance(value, str | bytes) else value
        results = [
            OperationOutcome(_text(r.get("result")), bool(r.get("isError")))
            for r in body.get("results") or []
        ]
        signals = [
            EntitySignal(
                scheduler_id(str(s["target"]["name"]), str(s["target"]["key"])),
                str(s["name"]),
                _text(s.get("input")),
            )
            for s in body.get("signals") or []
        ]
        outcome = BatchOutcome(
            bool(body.get("entityExists")), _text(body.get("entityState")), results, signals
        )
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise EntityProtocolError(INVALID_RESULT) from error
    if len(results) != size:
        raise EntityProtocolError(INVALID_RESULT)
    return outcome


def failed_batch(message: str, size: int, exists: bool, state: str | None) -> BatchOutcome:
    """Every operation of a batch failing with ``message``; the state stays as it was."""
    error = OperationOutcome(json.dumps(message), True)
    return BatchOutcome(exists, state, results=[error] * size, signals=[])


def _text(value: Any) -> str | None:
    # Json.NET reads a JSON string property from any token: objects and numbers as their text.
    if value is None or isinstance(value, str):
        return value
    return _compact(value) if isinstance(value, dict | list) else json.dumps(value)
