"""The retry interceptor of ``call_activity_with_retry`` / ``call_sub_orchestrator_with_retry``.

DurableTask.Core's ``RetryInterceptor`` runs the call; after each failed attempt it computes a
delay and, when the delay is positive, awaits a durable timer before the next attempt. The timers
take sequence numbers like any other task, which is why the replayer must run this logic itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from devhost.history import JsonDict
from devhost.tasks import Coroutine, Future, TaskFaulted


@dataclass(frozen=True)
class RetryPolicy:
    first_interval: timedelta
    max_attempts: int
    backoff: float = 1.0
    max_interval: timedelta | None = None
    timeout: timedelta | None = None

    @classmethod
    def from_json(cls, data: JsonDict) -> RetryPolicy:
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


def retrying(
    attempt: Callable[[], Future],
    policy: RetryPolicy,
    *,
    now: Callable[[], datetime],
    create_timer: Callable[[datetime], Future],
) -> Coroutine:
    """The interceptor as a coroutine: attempts and timers until success or the policy gives up.

    ``now`` is read at each step because replay moves the orchestration's time forward as it
    resumes the coroutine in later episodes.
    """
    first_attempt = now()
    for retry_count in range(policy.max_attempts):
        failed = yield attempt()
        if not failed:
            return
        delay = policy.next_delay(retry_count, first_attempt, now())
        if delay <= timedelta(0):
            break
        yield create_timer(now() + delay)
    raise TaskFaulted()
