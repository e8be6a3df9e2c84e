"""Injected misbehaviour: random server errors, cache lag after a PUT, failing regions, latency,
overloaded sources, actions the caller is not granted.

All randomness comes from one generator seeded by :attr:`FaultConfig.seed`, so the same sequence
of requests meets the same faults. Replacing the configuration re-seeds it.
"""

from __future__ import annotations

import fnmatch
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from emulator.config import FailingRegion, FaultConfig
from emulator.errors import ArmErrorResponse
from emulator.regions import region_key

#: The object id a denied request names as the caller.
CLIENT_OBJECT_ID = "00000000-0000-0000-0000-000000000002"


@dataclass
class _Lag:
    created_at: datetime
    remaining: int


class FaultInjector:
    def __init__(self, config: FaultConfig) -> None:
        self._lock = threading.Lock()
        self.configure(config)

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)
            self._lagging: dict[str, _Lag] = {}
            #: How many requests cache lag has answered with 404 so far.
            self.hidden_count = 0
            self._failing = {
                region_key(name): fault for name, fault in config.failing_regions.items()
            }
            self._overloaded = {source.rstrip("/").lower() for source in config.overloaded_sources}

    def random_error(self, operation: str) -> ArmErrorResponse | None:
        """A 500 or 503 for this request, at the configured rate."""
        config = self._config
        if config.error_rate <= 0 or not any(
            fnmatch.fnmatchcase(operation, pattern) for pattern in config.error_operations
        ):
            return None
        with self._lock:
            if self._rng.random() >= config.error_rate:
                return None
            status = self._rng.choice(config.error_statuses)
            tracking = uuid.UUID(int=self._rng.getrandbits(128), version=4)
        if status == 503:
            return ArmErrorResponse(
                503,
                "ServiceUnavailable",
                "The service is temporarily unavailable. Please retry the request later.",
            )
        return ArmErrorResponse(
            500,
            "InternalServerError",
            f"Encountered internal server error. Diagnostic information: tracking id '{tracking}'.",
        )

    def note_created(self, resource_key: str, now: datetime) -> None:
        """Start the cache lag of a resource a PUT just created."""
        if self._config.cache_lag_requests <= 0:
            return
        with self._lock:
            self._lagging[resource_key] = _Lag(now, self._config.cache_lag_requests)

    def hides(self, resource_key: str, now: datetime) -> bool:
        """Whether this request should not yet see ``resource_key`` (and count it if so)."""
        with self._lock:
            lag = self._lagging.get(resource_key)
            if lag is None:
                return False
            elapsed = (now - lag.created_at).total_seconds()
            if lag.remaining <= 0 or elapsed > self._config.cache_lag_seconds:
                del self._lagging[resource_key]
                return False
            lag.remaining -= 1
            self.hidden_count += 1
            return True

    def source_overloaded(self, source_key: str) -> bool:
        """Whether a version PUT copying from ``source_key`` (an id key) is refused as too many
        requests on that source."""
        config = self._config
        if source_key in self._overloaded:
            return True
        if config.overloaded_source_rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < config.overloaded_source_rate

    def denied(self, action: str, scope: str) -> ArmErrorResponse | None:
        """ARM's 403 for a request needing ``action`` at ``scope``, when a denial covers it."""
        for denial in self._config.denied_actions:
            covered, asked = denial.scope.rstrip("/").lower(), scope.lower()
            within = not covered or asked == covered or asked.startswith(covered + "/")
            if within and fnmatch.fnmatchcase(action.lower(), denial.action.lower()):
                # Azure's text (e.g. Azure/azure-cli#29802); the object id is the emulator's.
                return ArmErrorResponse(
                    403,
                    "AuthorizationFailed",
                    f"The client '{CLIENT_OBJECT_ID}' with object id '{CLIENT_OBJECT_ID}' does "
                    f"not have authorization to perform action '{action}' over scope '{scope}' "
                    "or the scope is invalid. If access was recently granted, please refresh "
                    "your credentials.",
                    fault="denied",
                )
        return None

    def failing_region(self, region_name: str) -> FailingRegion | None:
        return self._failing.get(region_key(region_name))

    def latency(self) -> float:
        """Simulated seconds to hold this request back."""
        config = self._config
        if config.latency_seconds <= 0 and config.latency_jitter_seconds <= 0:
            return 0.0
        with self._lock:
            jitter = self._rng.uniform(0, config.latency_jitter_seconds)
        return config.latency_seconds + jitter
