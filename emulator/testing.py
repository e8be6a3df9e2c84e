"""Test helpers: an emulator on a free port with a virtual clock, and SDK clients pointed at it.

Use the fixtures by importing them into a ``conftest.py``::

    from emulator.testing import emulator, virtual_clock  # noqa: F401

``emulator`` yields a :class:`RunningEmulator` served from a background thread, so synchronous
tests can call azure-mgmt-compute directly while the test advances the clock.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy
from azure.mgmt.compute import ComputeManagementClient

from emulator.config import EmulatorConfig
from emulator.server import Emulator
from simclock import Clock, VirtualClock

#: Where virtual clocks in tests start: a fixed instant keeps runs comparable.
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"


class StaticToken:
    """A ``TokenCredential`` that hands out one fixed token (the emulator accepts any)."""

    def __init__(self, token: str = "emulator") -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, int(time.time()) + 3600)


class StaticBearerPolicy(SansIOHTTPPolicy[Any, Any]):
    """Sends ``Authorization: Bearer <token>``; azure-core's bearer policy refuses plain http."""

    def __init__(self, token: str = "emulator") -> None:
        self.token = token

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = f"Bearer {self.token}"


class EmulatorRetryPolicy(RetryPolicy[Any, Any]):
    """azure-core's retry policy, sleeping a ``Retry-After`` in the emulator's time.

    The emulator's ``Retry-After`` and ``retry-after-ms`` say the same wait, in simulated time,
    as Azure's do. azure-core would sleep it in wall time, which on a scaled clock waits far too
    long; this policy knows the clock and sleeps ``clock.wall_seconds(wait)`` instead (nothing on
    a virtual clock). Without a clock the wait is slept as given.
    """

    def __init__(self, clock: Clock | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        wait = super().get_retry_after(response)
        if wait is None or self.clock is None:
            return wait
        return self.clock.wall_seconds(wait)


def compute_client(
    base_url: str, subscription_id: str = SUBSCRIPTION, clock: Clock | None = None, **kwargs: Any
) -> ComputeManagementClient:
    """An azure-mgmt-compute client for an emulator: static token, no poll delay, quick retries
    that wait a ``Retry-After`` in ``clock``'s time (the emulator's clock)."""
    options: dict[str, Any] = {
        "polling_interval": 0,
        "retry_policy": EmulatorRetryPolicy(clock, retry_total=3, retry_backoff_factor=0.01),
        "authentication_policy": StaticBearerPolicy(),
    }
    options.update(kwargs)
    return ComputeManagementClient(
        credential=StaticToken(), subscription_id=subscription_id, base_url=base_url, **options
    )


@dataclass
class RunningEmulator:
    """An emulator serving on a free loopback port."""

    emulator: Emulator
    base_url: str
    clock: Clock

    def client(self, subscription_id: str = SUBSCRIPTION, **kwargs: Any) -> ComputeManagementClient:
        return compute_client(self.base_url, subscription_id, self.clock, **kwargs)

    def advance(self, seconds: float) -> None:
        self.emulator.advance(seconds)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = "emulator",
    ) -> RawResponse:
        """One plain HTTP request (``path`` may carry a query), bypassing the SDK."""
        return raw_request(method, self.base_url + path, body, headers, token)


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def raw_request(
    method: str,
    url: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    token: str | None = "emulator",
) -> RawResponse:
    """Send one request with the standard library; JSON in, JSON (or ``None``) out."""
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw_headers, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, raw_headers, payload = error.code, dict(error.headers), error.read()
    return RawResponse(status, raw_headers, json.loads(payload) if payload.strip() else None)


@contextmanager
def running_emulator(
    clock: Clock | None = None, config: EmulatorConfig | None = None
) -> Iterator[RunningEmulator]:
    """An emulator (virtual clock at :data:`START` unless given) served in a background thread."""
    clock = clock if clock is not None else VirtualClock(START)
    emulator = Emulator(clock, config)
    with emulator.serve_in_background() as base_url:
        yield RunningEmulator(emulator, base_url, clock)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait (in wall time, without sleeping the test) until ``condition()`` holds."""
    gate = threading.Event()
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        gate.wait(0.005)


@pytest.fixture
def virtual_clock() -> VirtualClock:
    return VirtualClock(START)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Override in a test module to configure the ``emulator`` fixture."""
    return EmulatorConfig()


@pytest.fixture
def emulator(
    virtual_clock: VirtualClock, emulator_config: EmulatorConfig
) -> Iterator[RunningEmulator]:
    with running_emulator(virtual_clock, emulator_config) as running:
        yield running
