"""Function logs with the function name and the orchestration instance id, as `func start` shows.

User code logs through the standard ``logging`` module. A record factory stamps every record with
the function and instance being executed (carried in a context variable, so it follows async
code and the copies of the context that sync functions run in).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TextIO


@dataclass(frozen=True)
class Scope:
    function: str
    instance_id: str | None = None
    invocation_id: str | None = None


_scope: ContextVar[Scope | None] = ContextVar("devhost_function_scope", default=None)
_installed = False
_install_lock = threading.Lock()


def install_record_factory() -> None:
    """Give every log record ``df_function``, ``df_instance`` and ``df_prefix`` attributes."""
    global _installed
    with _install_lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scope = _scope.get()
            record.df_function = scope.function if scope else ""
            record.df_instance = (scope.instance_id or "") if scope else ""
            record.df_prefix = prefix(scope)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def prefix(scope: Scope | None) -> str:
    if scope is None:
        return ""
    if scope.instance_id:
        return f"Functions.{scope.function} ({scope.instance_id}): "
    return f"Functions.{scope.function}: "


@contextmanager
def function_scope(function: str, instance_id: str | None = None) -> Iterator[Scope]:
    scope = Scope(function, instance_id)
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


def current_scope() -> Scope | None:
    return _scope.get()


def console_handler(stream: TextIO | None = None) -> logging.Handler:
    handler = _ConsoleHandler(stream or sys.stdout)
    handler.setFormatter(logging.Formatter("[%(asctime)s] %(levelname)s %(df_prefix)s%(message)s"))
    return handler


def output_lock() -> threading.RLock:
    """The lock the console handler writes under, for other output to the same stream."""
    return _console_lock


_console_lock = threading.RLock()


class _ConsoleHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def emit(self, record: logging.LogRecord) -> None:
        with _console_lock:
            super().emit(record)


def configure_console(level: int = logging.INFO) -> None:
    """What the CLI uses: function logs and devhost's own, on stdout."""
    install_record_factory()
    root = logging.getLogger()
    root.handlers[:] = [console_handler()]
    root.setLevel(level)
    # Their per-request lines drown the function logs.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
