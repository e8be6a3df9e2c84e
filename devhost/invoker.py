"""Running user functions the way the Python worker does.

Async functions run on the event loop; sync functions run in a thread pool, each in a copy of the
caller's context (so logging scope and context variables follow them). A function override, when
given, replaces the user code but keeps the binding and serialization around it.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from azure.functions import meta

from devhost import logs
from devhost.bindings import FunctionMetadata, InvocationContext, decode_inputs

log = logging.getLogger("devhost")


@dataclass
class Invocation:
    value: Any
    error: BaseException | None
    cpu_seconds: float  # thread CPU time spent in the function (sync functions only)


class Invoker:
    def __init__(
        self,
        executor: Executor,
        overrides: Mapping[str, Callable[..., Any]],
        app_dir: str,
    ) -> None:
        self._executor = executor
        self._overrides = dict(overrides)
        self._app_dir = app_dir

    def target(self, metadata: FunctionMetadata) -> Callable[..., Any]:
        override = self._overrides.get(metadata.name) or self._overrides.get(metadata.durable_name)
        return override or metadata.user_function

    def validate_overrides(self, functions: Mapping[str, FunctionMetadata]) -> None:
        known = set(functions) | {f.durable_name for f in functions.values()}
        unknown = set(self._overrides) - known
        if unknown:
            raise ValueError(f"function_overrides name unknown functions: {sorted(unknown)}")
        for metadata in functions.values():
            override = self._overrides.get(metadata.name) or self._overrides.get(
                metadata.durable_name
            )
            if override is None:
                continue
            names = list(metadata.inputs) + list(metadata.outputs)
            if metadata.requires_context:
                names.append("context")
            try:
                inspect.signature(override).bind(**dict.fromkeys(names))
            except TypeError as error:
                raise ValueError(
                    f"the override for {metadata.name} must accept the parameters {names}: {error}"
                ) from error

    async def invoke(
        self,
        metadata: FunctionMetadata,
        data: Mapping[str, meta.Datum | None],
        *,
        instance_id: str | None = None,
        executor: Executor | None = None,
    ) -> Invocation:
        args = decode_inputs(metadata, data)
        if metadata.requires_context:
            args["context"] = InvocationContext(metadata.name, self._app_dir)
        target = self.target(metadata)
        with logs.function_scope(metadata.name, instance_id):
            if inspect.iscoroutinefunction(target):
                try:
                    return Invocation(await target(**args), None, 0.0)
                except Exception as error:
                    return Invocation(None, error, 0.0)
            context = contextvars.copy_context()
            call = functools.partial(context.run, _timed, target, args)
            return await asyncio.get_running_loop().run_in_executor(
                executor or self._executor, call
            )


def log_failure(
    function: FunctionMetadata, error: BaseException, *, with_traceback: bool = True
) -> None:
    """The host's log line for a failed trigger invocation."""
    log.error(
        "Executed 'Functions.%s' (Failed): %s",
        function.name,
        error,
        exc_info=error if with_traceback else None,
    )


def _timed(target: Callable[..., Any], args: dict[str, Any]) -> Invocation:
    started = time.thread_time()
    try:
        value = target(**args)
    except Exception as error:
        return Invocation(None, error, time.thread_time() - started)
    return Invocation(value, None, time.thread_time() - started)
