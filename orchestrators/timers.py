"""Durable timers for long waits.

A durable timer longer than six days becomes a chain of timers whose ``cancel()`` does not reach
the host (a known issue of the Python SDK), so long waits are made of timers of at most
:data:`MAX_TIMER`, each raced against what is awaited and cancelled when it loses.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import Any

import azure.durable_functions as df

MAX_TIMER = timedelta(days=6)


def wait_until(
    context: df.DurableOrchestrationContext, task: Any, deadline: datetime
) -> Generator[Any, Any, bool]:
    """Wait for ``task`` until ``deadline``; whether it came first (the losing timer cancelled)."""
    while context.current_utc_datetime < deadline:
        timer = context.create_timer(min(deadline, context.current_utc_datetime + MAX_TIMER))
        winner = yield context.task_any([task, timer])
        if winner is task:
            if not timer.is_completed:
                timer.cancel()
            return True
    return bool(task.is_completed)
