"""Waiting on several tasks at once, and durable timers for long waits.

Every wait on more than one task goes through :func:`wait_any`, which races the tasks against a
fresh timer and cancels the timer when it loses. Two host behaviours make that necessary:

- The Python SDK sends a ``task_any`` to the host as a WhenAny of only the tasks it has not
  scheduled before (azure-functions-durable-python#457), and the extension's
  ``OutOfProcOrchestrationShim`` awaits each action in turn. A WhenAny of a reused report waiter
  and a new sub-orchestration therefore reaches the host as a WhenAny of the sub-orchestration
  alone, and the host would not look at any later action until it ended, even though the SDK
  has moved on. A fresh timer in every wait, cancelled when anything else wins (the shim
  completes a cancelled timer at once), lets the host move on exactly when the SDK does.
- A durable timer longer than six days becomes a chain of timers whose ``cancel()`` does not
  reach the host (a known issue of the Python SDK), so no timer here is longer than
  :data:`MAX_TIMER`; a longer wait is a loop.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

MAX_TIMER = timedelta(days=6)


def wait_any(
    context: df.DurableOrchestrationContext, tasks: Sequence[Any], wake_at: datetime
) -> Generator[Any, Any, Any | None]:
    """The first of ``tasks`` to complete, or None once ``wake_at`` (at most six days on) comes."""
    timer = context.create_timer(min(wake_at, context.current_utc_datetime + MAX_TIMER))
    winner = yield context.task_any([*tasks, timer])
    if winner is timer:
        return None
    timer.cancel()
    return winner


def wait_until(
    context: df.DurableOrchestrationContext, task: Any, deadline: datetime
) -> Generator[Any, Any, bool]:
    """Wait for ``task`` until ``deadline``; whether it came first."""
    while context.current_utc_datetime < deadline:
        if (yield from wait_any(context, [task], deadline)) is task:
            return True
    return bool(task.is_completed)
