"""migration.arm.client builds the right pipeline for the emulator and for Azure (no network)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
from azure.mgmt.resource.subscriptions import SubscriptionClient

from emulator import BucketConfig, EmulatorConfig, FaultConfig, ThrottleConfig
from emulator.testing import SUBSCRIPTION, running_emulator
from migration.arm import client as arm_client
from migration.arm.client import (
    StaticBearerPolicy,
    clear_client_cache,
    compute_client,
    subscription_client,
)
from migration.arm.retry import ServiceRetryPolicy, retry_after
from simclock import Clock, RealClock, ScaledClock
from tests.emulator.helpers import GALLERY, RG, seed_world

SUB = "00000000-0000-0000-0000-000000000001"


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ARM_ENDPOINT", "ARM_TOKEN", "AZURE_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    clear_client_cache()
    yield
    clear_client_cache()


class FakeCredential:
    """Stands in for DefaultAzureCredential and remembers how it was built."""

    built: list[dict[str, Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        FakeCredential.built.append(kwargs)

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise AssertionError("no token may be requested in these tests")


@pytest.fixture
def fake_identity(monkeypatch: pytest.MonkeyPatch) -> type[FakeCredential]:
    import azure.identity

    FakeCredential.built = []
    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", FakeCredential)
    return FakeCredential


def config(client: ComputeManagementClient | SubscriptionClient) -> Any:
    return client._config


# Which client ----------------------------------------------------------------------------------


def test_emulator_endpoint_builds_a_static_token_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARM_ENDPOINT", "http://127.0.0.1:8480/")
    client = compute_client(SUB)
    settings = config(client)
    assert settings.base_url == "http://127.0.0.1:8480"
    assert settings.subscription_id == SUB
    assert settings.polling_interval == 0
    assert isinstance(settings.authentication_policy, StaticBearerPolicy)
    retry = settings.retry_policy
    assert isinstance(retry, ServiceRetryPolicy)
    assert retry.backoff_factor <= 0.1
    assert retry.max_retry_after <= 5
    assert settings.credential.get_token("scope").token == "emulator"


def test_static_policy_sends_the_configured_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARM_ENDPOINT", "http://localhost:8480")
    monkeypatch.setenv("ARM_TOKEN", "secret-ish")
    policy = config(compute_client(SUB)).authentication_policy
    request = PipelineRequest(HttpRequest("GET", "http://localhost:8480/x"), PipelineContext(None))
    policy.on_request(request)
    assert request.http_request.headers["Authorization"] == "Bearer secret-ish"


@pytest.mark.parametrize(
    "endpoint", ["http://[::1]:8480", "http://localhost:1", "https://emulator.example.com"]
)
def test_allowed_emulator_endpoints(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("ARM_ENDPOINT", endpoint)
    assert config(compute_client(SUB)).base_url == endpoint


@pytest.mark.parametrize("endpoint", ["http://10.0.0.5:8480", "ftp://127.0.0.1", "127.0.0.1:8480"])
def test_refused_emulator_endpoints(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> None:
    monkeypatch.setenv("ARM_ENDPOINT", endpoint)
    with pytest.raises(ValueError, match="ARM_ENDPOINT"):
        compute_client(SUB)


def test_azure_uses_default_credential(fake_identity: type[FakeCredential]) -> None:
    client = compute_client(SUB)
    settings = config(client)
    assert settings.base_url.rstrip("/") == "https://management.azure.com"
    assert isinstance(settings.credential, FakeCredential)
    assert fake_identity.built == [{"managed_identity_client_id": None}]
    assert isinstance(settings.authentication_policy, ARMChallengeAuthenticationPolicy)
    assert settings.polling_interval == 5
    retry = settings.retry_policy
    assert isinstance(retry, ServiceRetryPolicy)
    assert retry.total_retries == 4
    assert retry.max_retry_after == 20
    assert retry.timeout == 90


def test_azure_client_id_selects_the_managed_identity(
    monkeypatch: pytest.MonkeyPatch, fake_identity: type[FakeCredential]
) -> None:
    monkeypatch.setenv("AZURE_CLIENT_ID", "11111111-2222-3333-4444-555555555555")
    compute_client(SUB)
    assert fake_identity.built == [
        {"managed_identity_client_id": "11111111-2222-3333-4444-555555555555"}
    ]


# Caching ----------------------------------------------------------------------------------------


def test_clients_are_cached_per_subscription_and_settings(
    monkeypatch: pytest.MonkeyPatch, fake_identity: type[FakeCredential]
) -> None:
    azure = compute_client(SUB)
    assert compute_client(SUB) is azure
    assert compute_client(SUB.upper()) is azure
    assert compute_client("00000000-0000-0000-0000-000000000002") is not azure
    monkeypatch.setenv("ARM_ENDPOINT", "http://127.0.0.1:8480")
    emulator = compute_client(SUB)
    assert emulator is not azure
    monkeypatch.setenv("ARM_ENDPOINT", "http://127.0.0.1:9000")
    assert compute_client(SUB) is not emulator
    monkeypatch.setenv("ARM_ENDPOINT", "http://127.0.0.1:8480")
    assert compute_client(SUB) is emulator
    clear_client_cache()
    assert compute_client(SUB) is not emulator


def test_cache_is_thread_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARM_ENDPOINT", "http://127.0.0.1:8480")
    built: list[Any] = []
    original = arm_client._build

    def counting(kind: Any, settings: Any, **scoped: Any) -> Any:
        client = original(kind, settings, **scoped)
        built.append(client)
        return client

    monkeypatch.setattr(arm_client, "_build", counting)
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda _: compute_client(SUB), range(64)))
    assert len(built) == 1
    assert all(client is built[0] for client in clients)


# The subscriptions client: the same pipeline -------------------------------------------------


def test_the_subscription_client_shares_the_emulator_pipeline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ARM_ENDPOINT", "http://127.0.0.1:8480")
    monkeypatch.setenv("ARM_TOKEN", "secret-ish")
    client = subscription_client()
    assert isinstance(client, SubscriptionClient)
    assert subscription_client() is client
    settings, compute = config(client), config(compute_client(SUB))
    assert settings.base_url == compute.base_url == "http://127.0.0.1:8480"
    assert isinstance(settings.authentication_policy, StaticBearerPolicy)
    assert type(settings.retry_policy) is type(compute.retry_policy) is ServiceRetryPolicy
    assert settings.retry_policy.max_retry_after == compute.retry_policy.max_retry_after
    assert settings.credential.get_token("scope").token == "secret-ish"


def test_every_azure_client_shares_one_credential(fake_identity: type[FakeCredential]) -> None:
    compute = config(compute_client(SUB))
    other = config(compute_client("00000000-0000-0000-0000-000000000002"))
    subscriptions = config(subscription_client())
    assert subscriptions.credential is compute.credential is other.credential
    assert fake_identity.built == [{"managed_identity_client_id": None}]
    assert isinstance(subscriptions.authentication_policy, ARMChallengeAuthenticationPolicy)
    retry = subscriptions.retry_policy
    assert isinstance(retry, ServiceRetryPolicy)
    assert (retry.total_retries, retry.max_retry_after, retry.timeout) == (4, 20, 90)


# Throttling, against the emulator -----------------------------------------------------------


def throttled_reads(refill_per_second: float) -> EmulatorConfig:
    reads = BucketConfig(capacity=1, refill_per_second=refill_per_second)
    return EmulatorConfig(faults=FaultConfig(throttle=ThrottleConfig(enabled=True, reads=reads)))


@pytest.mark.parametrize("clock", [RealClock(), ScaledClock(2000)], ids=["real", "scaled"])
def test_app_client_hands_throttling_straight_to_its_caller(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An activity must not sleep through a cool-down; its orchestration waits on a timer."""
    with running_emulator(clock, throttled_reads(1 / 120)) as running:
        seed_world(running.emulator)
        monkeypatch.setenv("ARM_ENDPOINT", running.base_url)
        clear_client_cache()
        client = compute_client(SUBSCRIPTION)
        client.galleries.get(RG, GALLERY)
        started = time.monotonic()
        with pytest.raises(HttpResponseError) as caught:
            client.galleries.get(RG, GALLERY)
        elapsed = time.monotonic() - started
        statuses = [r.status for r in running.emulator.request_log]
    clear_client_cache()
    assert caught.value.status_code == 429
    response: Any = caught.value.response
    assert 60 < (retry_after(response.headers) or 0) <= 120
    assert statuses == [200, 429]
    assert elapsed < 2


def test_the_sdks_request_logging_stays_at_warning_unless_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ARM_ENDPOINT", "http://127.0.0.1:8480")
    http_log = logging.getLogger(arm_client.SDK_LOGGERS[0])
    http_log.setLevel(logging.NOTSET)
    compute_client(SUB)
    assert http_log.getEffectiveLevel() == logging.WARNING
    monkeypatch.setenv("ARM_LOG_LEVEL", "info")
    clear_client_cache()
    compute_client(SUB)
    assert http_log.level == logging.INFO
    monkeypatch.setenv("ARM_LOG_LEVEL", "chatty")
    compute_client(SUB)
    assert http_log.level == logging.WARNING
