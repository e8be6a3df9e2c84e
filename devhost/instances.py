"""Instances and their persistence: instance rows, history and queued messages.

An :class:`Instance` is one orchestration instance as the engine holds it in memory: its row
(status, input, output, parent, figures), its history (loaded on demand and cached, also as the
JSON text handed to the SDK) and its inbox of queued :class:`Message`s. :class:`InstanceTable`
keeps them by id and is the only code that writes instance rows, history and messages to the
:class:`~devhost.store.Store`. Its writing methods expect the caller's ``store.transaction()``, so
that one episode, activity completion or timer firing is one transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from devhost import history as h
from devhost.history import JsonDict, OrchestrationStatus
from devhost.store import InstanceRow, Store

RUNNING_STATUSES = frozenset(
    {
        OrchestrationStatus.Running,
        OrchestrationStatus.Pending,
        OrchestrationStatus.Suspended,
        OrchestrationStatus.ContinuedAsNew,
    }
)


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
        values = {name: _codec(name)[1](getattr(row, name)) for name in _ROW_FIELDS}
        return cls(**values, history_length=history_length)

    def row(self) -> InstanceRow:
        return InstanceRow(**{name: _codec(name)[0](getattr(self, name)) for name in _ROW_FIELDS})

    @property
    def parent_instance_id(self) -> str | None:
        if self.parent is None:
            return None
        return str(self.parent["OrchestrationInstance"]["InstanceId"])


def _dump_optional(value: JsonDict | None) -> str | None:
    return None if value is None else json.dumps(value)


def _load_optional(text: str | None) -> JsonDict | None:
    return None if text is None else json.loads(text)


def _same(value: Any) -> Any:
    return value


_Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]  # (to the row, from the row)

# The row has the instance's fields by name; these are stored in another form.
_CODECS: dict[str, _Codec] = {
    "status": (int, OrchestrationStatus),
    "created_time": (h.format_timestamp, h.parse_timestamp),
    "last_updated_time": (h.format_timestamp, h.parse_timestamp),
    "parent": (_dump_optional, _load_optional),
}
_ROW_FIELDS = [f.name for f in fields(InstanceRow)]


def _codec(name: str) -> _Codec:
    return _CODECS.get(name, (_same, _same))


def played(event: JsonDict) -> str:
    """An event as history stores it and hands it to the SDK: already played."""
    return json.dumps({**event, "IsPlayed": True})


class InstanceTable:
    """The instances by id, in memory, and their rows, history and messages in the store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._by_id: dict[str, Instance] = {}

    # -- memory --------------------------------------------------------------------------------

    def get(self, instance_id: str) -> Instance | None:
        return self._by_id.get(instance_id)

    def __contains__(self, instance_id: str) -> bool:
        return instance_id in self._by_id

    def values(self) -> list[Instance]:
        return list(self._by_id.values())

    def put(self, instance: Instance) -> None:
        self._by_id[instance.instance_id] = instance

    def pop(self, instance_id: str) -> None:
        self._by_id.pop(instance_id, None)

    def recover(self) -> None:
        """Load every instance row, and each instance's queued messages into its inbox."""
        lengths = self._store.history_lengths()
        for row in self._store.instances():
            instance = Instance.from_row(row, lengths.get(row.instance_id, 0))
            self._by_id[instance.instance_id] = instance
        for message in self._store.messages():
            target = self._by_id.get(message.instance_id)
            if target is not None:
                target.inbox.append(
                    Message(
                        message.id,
                        message.instance_id,
                        message.execution_id,
                        json.loads(message.event),
                    )
                )

    def load_history(self, instance: Instance) -> list[JsonDict]:
        if instance.history is None:
            texts = self._store.history(instance.instance_id)
            instance.history = [json.loads(text) for text in texts]
            instance.history_json = texts
            instance.history_length = len(texts)
        return instance.history

    def remember(self, instance: Instance, new_events: list[JsonDict]) -> None:
        """After the commit of ``new_events``: the cached history follows the stored one."""
        if instance.history is None:
            self.load_history(instance)
        else:
            assert instance.history_json is not None
            instance.history.extend({**e, "IsPlayed": True} for e in new_events)
            instance.history_json.extend(played(e) for e in new_events)
            instance.history_length = len(instance.history)

    # -- the store (inside the caller's transaction) -------------------------------------------

    def queue_message(self, instance_id: str, execution_id: str | None, event: JsonDict) -> Message:
        row_id = self._store.add_message(instance_id, execution_id, json.dumps(event))
        return Message(row_id, instance_id, execution_id, event)

    def consume(self, messages: Iterable[Message]) -> None:
        self._store.delete_messages(m.id for m in messages)

    def new_execution(
        self,
        instance_id: str,
        name: str,
        raw_input: str | None,
        now: datetime,
        *,
        parent: JsonDict | None = None,
        version: str = "",
    ) -> tuple[Instance, Message]:
        """A Pending execution and its first message; the caller installs it once committed.

        It replaces whatever the id held before: history, queued messages and timer rows.
        """
        execution_id = str(uuid.uuid4())
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
        started = h.execution_started(
            now,
            name=name,
            instance_id=instance_id,
            execution_id=execution_id,
            raw_input=raw_input,
            parent=parent,
            version=version,
        )
        return instance, self.queue_message(instance_id, execution_id, started)

    def continue_as_new(
        self, instance: Instance, consumed: Iterable[Message], raw_input: str | None, now: datetime
    ) -> Message:
        """The instance's next execution, in place: no history or timer rows, its first message
        queued."""
        execution_id = str(uuid.uuid4())
        self.consume(consumed)
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
        return self.queue_message(instance.instance_id, execution_id, started)

    def record_episode(
        self,
        instance: Instance,
        consumed: Iterable[Message],
        new_events: list[JsonDict],
        now: datetime,
    ) -> None:
        """An episode's writes: its messages consumed, its events appended, the row saved."""
        instance.last_updated_time = now
        self.consume(consumed)
        if new_events:
            self._store.append_history(
                instance.instance_id,
                instance.history_length,
                [played(e) for e in new_events],
            )
        self._store.save_instance(instance.row())

    def delete(self, instance_ids: Iterable[str]) -> None:
        """Purge: the rows, history, messages, timers and activities of each instance."""
        for instance_id in instance_ids:
            self._store.delete_instance(instance_id)
