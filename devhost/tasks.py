"""DurableTask's task model in miniature: futures, coroutines, when-all and when-any.

DurableTask.Core runs an orchestration on a single-threaded scheduler: a task's continuations run
inline, in order, the moment it completes. The replayer needs exactly that determinism (it is what
decides the sequence numbers of later actions), so these futures resolve synchronously and a
coroutine is a generator that yields the future it awaits and is sent back whether it failed.
"""

from __future__ import annotations

from collections.abc import Callable, Generator


class ProgramFault(Exception):
    """The shim program threw: the orchestration fails with this reason."""

    def __init__(self, reason: str, details: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


class TaskFaulted(Exception):
    """A task awaited by a shim coroutine failed (the retry interceptor rethrows it)."""


class Future:
    """A .NET Task as DurableTask's scheduler runs it: continuations run inline, in order."""

    __slots__ = ("_callbacks", "done", "failed")

    def __init__(self) -> None:
        self.done = False
        self.failed = False
        self._callbacks: list[Callable[[Future], None]] = []

    def resolve(self, *, failed: bool = False) -> None:
        if self.done:
            return
        self.done = True
        self.failed = failed
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(self)

    def on_done(self, callback: Callable[[Future], None]) -> None:
        if self.done:
            callback(self)
        else:
            self._callbacks.append(callback)


def completed() -> Future:
    future = Future()
    future.resolve()
    return future


Coroutine = Generator[Future, bool | None, None]


def spawn(coroutine: Coroutine, on_fault: Callable[[ProgramFault], None]) -> Future:
    """Start ``coroutine``; the future it returns completes when the coroutine does.

    A :class:`TaskFaulted` fails that future; a :class:`ProgramFault` fails it too and is handed
    to ``on_fault`` (it fails the whole orchestration).
    """
    result = Future()

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
            except TaskFaulted:
                result.resolve(failed=True)
                return
            except ProgramFault as fault:
                on_fault(fault)
                result.resolve(failed=True)
                return
            if awaited.done:
                failed = awaited.failed
                continue
            awaited.on_done(lambda future: step(future.failed))
            return

    step(None)
    return result


def all_of(children: list[Future]) -> Future:
    """Task.WhenAll: done when every child is, failed when any failed."""
    result = Future()
    remaining = [len(children)]
    any_failed = [False]
    if not children:
        result.resolve()
        return result

    def on_child(child: Future) -> None:
        remaining[0] -= 1
        any_failed[0] = any_failed[0] or child.failed
        if remaining[0] == 0:
            result.resolve(failed=any_failed[0])

    for child in children:
        child.on_done(on_child)
    return result


def any_of(children: list[Future]) -> Future:
    """Task.WhenAny: done (never failed) when the first child is."""
    result = Future()
    if not children:
        result.resolve()
        return result
    for child in children:
        child.on_done(lambda _child: result.resolve())
    return result
