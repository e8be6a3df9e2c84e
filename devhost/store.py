"""Durable state in one SQLite file: instances, history, pending messages, activities, timers and
entities.

Every episode, activity completion, timer firing and entity batch is one transaction, so a host
killed at any moment restarts from a consistent state: messages not yet consumed are still queued,
an activity whose completion was not committed is still in ``activities`` and runs again
(at-least-once, as on Azure), an entity batch that did not commit runs again on the state before
it, and a consumed message is gone together with what it produced (nothing completes twice).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    status INTEGER NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    created_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    parent TEXT,
    failure_details TEXT,
    episodes INTEGER NOT NULL DEFAULT 0,
    cpu_seconds REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_instance ON messages (instance_id);
CREATE TABLE IF NOT EXISTS activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    input TEXT
);
CREATE TABLE IF NOT EXISTS timers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    timer_id INTEGER NOT NULL,
    fire_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS timers_by_instance ON timers (instance_id);
CREATE TABLE IF NOT EXISTS entities (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    entity_exists INTEGER NOT NULL,
    state TEXT,
    created_time TEXT NOT NULL,
    last_updated_time TEXT NOT NULL,
    batches INTEGER NOT NULL DEFAULT 0,
    operations INTEGER NOT NULL DEFAULT 0
);
"""


@dataclass
class InstanceRow:
    instance_id: str
    name: str
    execution_id: str
    status: int
    input: str | None
    output: str | None
    custom_status: str | None
    created_time: str
    last_updated_time: str
    parent: str | None
    failure_details: str | None
    episodes: int
    cpu_seconds: float


@dataclass
class MessageRow:
    id: int
    instance_id: str
    execution_id: str | None
    event: str


@dataclass
class ActivityRow:
    id: int
    instance_id: str
    execution_id: str
    task_id: int
    name: str
    input: str | None


@dataclass
class TimerRow:
    id: int
    instance_id: str
    execution_id: str
    timer_id: int
    fire_at: str


@dataclass
class EntityRow:
    instance_id: str  # the scheduler id, @name@key
    name: str
    entity_key: str
    entity_exists: bool
    state: str | None
    created_time: str
    last_updated_time: str
    batches: int
    operations: int


class Store:
    """A single connection used from the event loop's thread only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(":memory:" if path is None else str(path), isolation_level=None)
        if path is not None:
            # WAL with synchronous=NORMAL survives a killed process (only power loss can drop
            # the last transactions), and keeps commits cheap.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    # -- reading -------------------------------------------------------------------------------

    def instances(self) -> list[InstanceRow]:
        rows = self._db.execute(
            "SELECT instance_id, name, execution_id, status, input, output, custom_status, "
            "created_time, last_updated_time, parent, failure_details, episodes, cpu_seconds "
            "FROM instances"
        ).fetchall()
        return [InstanceRow(*row) for row in rows]

    def history(self, instance_id: str) -> list[str]:
        rows = self._db.execute(
            "SELECT event FROM history WHERE instance_id = ? ORDER BY seq", (instance_id,)
        ).fetchall()
        return [row[0] for row in rows]

    def history_lengths(self) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT instance_id, COUNT(*) FROM history GROUP BY instance_id"
        ).fetchall()
        return {row[0]: row[1] for row in rows}

    def messages(self) -> list[MessageRow]:
        rows = self._db.execute(
            "SELECT id, instance_id, execution_id, event FROM messages ORDER BY id"
        ).fetchall()
        return [MessageRow(*row) for row in rows]

    def activities(self) -> list[ActivityRow]:
        rows = self._db.execute(
            "SELECT id, instance_id, execution_id, task_id, name, input FROM activities ORDER BY id"
        ).fetchall()
        return [ActivityRow(*row) for row in rows]

    def timers(self) -> list[TimerRow]:
        rows = self._db.execute(
            "SELECT id, instance_id, execution_id, timer_id, fire_at FROM timers ORDER BY id"
        ).fetchall()
        return [TimerRow(*row) for row in rows]

    def entities(self) -> list[EntityRow]:
        rows = self._db.execute(
            "SELECT instance_id, name, entity_key, entity_exists, state, created_time, "
            "last_updated_time, batches, operations FROM entities"
        ).fetchall()
        return [
            EntityRow(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7], row[8])
            for row in rows
        ]

    # -- writing -------------------------------------------------------------------------------

    def save_instance(self, row: InstanceRow) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO instances (instance_id, name, execution_id, status, input, "
            "output, custom_status, created_time, last_updated_time, parent, failure_details, "
            "episodes, cpu_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.instance_id,
                row.name,
                row.execution_id,
                row.status,
                row.input,
                row.output,
                row.custom_status,
                row.created_time,
                row.last_updated_time,
                row.parent,
                row.failure_details,
                row.episodes,
                row.cpu_seconds,
            ),
        )

    def append_history(self, instance_id: str, first_seq: int, events: Iterable[str]) -> None:
        self._db.executemany(
            "INSERT INTO history (instance_id, seq, event) VALUES (?, ?, ?)",
            [(instance_id, first_seq + i, event) for i, event in enumerate(events)],
        )

    def clear_history(self, instance_id: str) -> None:
        self._db.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))

    def add_message(self, instance_id: str, execution_id: str | None, event: str) -> int:
        cursor = self._db.execute(
            "INSERT INTO messages (instance_id, execution_id, event) VALUES (?, ?, ?)",
            (instance_id, execution_id, event),
        )
        return int(cursor.lastrowid or 0)

    def delete_messages(self, ids: Iterable[int]) -> None:
        self._db.executemany("DELETE FROM messages WHERE id = ?", [(i,) for i in ids])

    def delete_messages_for(self, instance_id: str) -> None:
        self._db.execute("DELETE FROM messages WHERE instance_id = ?", (instance_id,))

    def add_activity(
        self, instance_id: str, execution_id: str, task_id: int, name: str, input_: str | None
    ) -> int:
        cursor = self._db.execute(
            "INSERT INTO activities (instance_id, execution_id, task_id, name, input) "
            "VALUES (?, ?, ?, ?, ?)",
            (instance_id, execution_id, task_id, name, input_),
        )
        return int(cursor.lastrowid or 0)

    def delete_activity(self, activity_id: int) -> None:
        self._db.execute("DELETE FROM activities WHERE id = ?", (activity_id,))

    def add_timer(self, instance_id: str, execution_id: str, timer_id: int, fire_at: str) -> int:
        cursor = self._db.execute(
            "INSERT INTO timers (instance_id, execution_id, timer_id, fire_at) VALUES (?, ?, ?, ?)",
            (instance_id, execution_id, timer_id, fire_at),
        )
        return int(cursor.lastrowid or 0)

    def delete_timer(self, timer_row_id: int) -> None:
        self._db.execute("DELETE FROM timers WHERE id = ?", (timer_row_id,))

    def delete_timers_for(self, instance_id: str) -> None:
        self._db.execute("DELETE FROM timers WHERE instance_id = ?", (instance_id,))

    def save_entity(self, row: EntityRow) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO entities (instance_id, name, entity_key, entity_exists, state, "
            "created_time, last_updated_time, batches, operations) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.instance_id,
                row.name,
                row.entity_key,
                int(row.entity_exists),
                row.state,
                row.created_time,
                row.last_updated_time,
                row.batches,
                row.operations,
            ),
        )

    def delete_instance(self, instance_id: str) -> None:
        for table in ("instances", "history", "messages", "timers", "activities"):
            self._db.execute(f"DELETE FROM {table} WHERE instance_id = ?", (instance_id,))
