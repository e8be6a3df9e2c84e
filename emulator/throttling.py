"""Token buckets: ARM's per-subscription reads/writes/deletes and Compute's own policies.

Buckets refill in simulated time (the emulator's clock), so a virtual clock refills them only when
it is advanced. A request is admitted only if every bucket that applies to it has a token; an
admitted request takes one from each. A throttled request takes none.
"""

from __future__ import annotations

import fnmatch
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime

from emulator.config import BucketConfig, ThrottleConfig
from emulator.errors import ArmErrorResponse

_GROUPS = {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}


def operation_group(method: str) -> str:
    """ARM's bucket for a method: ``reads``, ``writes`` or ``deletes``."""
    return _GROUPS.get(method.upper(), "writes")


@dataclass
class _Bucket:
    capacity: float
    rate: float
    tokens: float
    updated: datetime

    def refill(self, now: datetime) -> None:
        elapsed = max(0.0, (now - self.updated).total_seconds())
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = max(now, self.updated)

    def wait_seconds(self) -> float:
        """Simulated seconds until this bucket holds a whole token."""
        return max(0.0, (1 - self.tokens) / self.rate)


@dataclass
class Admission:
    """What the throttle decided: headers for the response and, when refused, the 429."""

    headers: dict[str, str] = field(default_factory=dict)
    error: ArmErrorResponse | None = None
    #: Simulated seconds the client should wait (only when refused).
    retry_after: float = 0.0


class Throttler:
    def __init__(self, config: ThrottleConfig) -> None:
        self._lock = threading.Lock()
        self.configure(config)

    def configure(self, config: ThrottleConfig) -> None:
        with self._lock:
            self._config = config
            self._buckets: dict[tuple[str, ...], _Bucket] = {}

    @property
    def enabled(self) -> bool:
        return self._config.enabled

    def admit(self, subscription: str, operation: str, method: str, now: datetime) -> Admission:
        config = self._config
        if not config.enabled:
            return Admission()
        group = operation_group(method)
        bucket_config: BucketConfig = getattr(config, group)
        sub = subscription.lower()
        with self._lock:
            arm = self._bucket(
                (sub, group), bucket_config.capacity, bucket_config.refill_per_second, now
            )
            policies = [
                (
                    policy.name,
                    window.suffix,
                    self._bucket(
                        (sub, policy.name, window.suffix),
                        window.limit,
                        window.limit / window.seconds,
                        now,
                    ),
                    window.limit,
                )
                for policy in config.compute_policies
                if any(fnmatch.fnmatchcase(operation, pattern) for pattern in policy.operations)
                for window in policy.windows
            ]
            if arm.tokens < 1:
                wait = arm.wait_seconds()
                return Admission(
                    headers=self._headers(group, arm, policies),
                    retry_after=wait,
                    error=ArmErrorResponse(
                        429,
                        "SubscriptionRequestsThrottled",
                        f"Number of '{group[:-1]}' requests for subscription '{subscription}' "
                        f"actor 'emulator' exceeded. Please try again after '{math.ceil(wait)}' "
                        "seconds after additional tokens are available. Refer to "
                        "https://aka.ms/arm-throttling",
                    ),
                )
            exhausted = [
                (name, suffix, bucket, limit)
                for name, suffix, bucket, limit in policies
                if bucket.tokens < 1
            ]
            if exhausted:
                wait = max(bucket.wait_seconds() for _, _, bucket, _ in exhausted)
                details = [
                    {
                        "code": "TooManyRequests",
                        "target": f"{name}{suffix}",
                        "message": (
                            f'{{"operationGroup":"{name}{suffix}","allowedRequestCount":{limit},'
                            f'"measuredRequestCount":{limit + 1}}}'
                        ),
                    }
                    for name, suffix, _, limit in exhausted
                ]
                return Admission(
                    headers=self._headers(group, arm, policies),
                    retry_after=wait,
                    error=ArmErrorResponse(
                        429,
                        "OperationNotAllowed",
                        "The server rejected the request because too many requests have been "
                        "received for this subscription.",
                        details=details,
                    ),
                )
            arm.tokens -= 1
            for _, _, bucket, _ in policies:
                bucket.tokens -= 1
            return Admission(headers=self._headers(group, arm, policies))

    def _bucket(self, key: tuple[str, ...], capacity: float, rate: float, now: datetime) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(capacity, rate, capacity, now)
        bucket.refill(now)
        return bucket

    @staticmethod
    def _headers(
        group: str, arm: _Bucket, policies: list[tuple[str, str, _Bucket, int]]
    ) -> dict[str, str]:
        headers = {f"x-ms-ratelimit-remaining-subscription-{group}": str(math.floor(arm.tokens))}
        if policies:
            headers["x-ms-ratelimit-remaining-resource"] = ",".join(
                f"Microsoft.Compute/{name}{suffix};{max(0, math.floor(bucket.tokens))}"
                for name, suffix, bucket, _ in policies
            )
        return headers
