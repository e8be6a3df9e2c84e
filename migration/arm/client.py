"""The one place the app builds its ARM clients: ``ComputeManagementClient`` for each
subscription, and the ``SubscriptionClient`` that reads a subscription's locations.

Settings are read from the environment when a client is asked for (app settings in Azure,
``local.settings.json`` under a local host):

- ``ARM_ENDPOINT`` set (e.g. ``http://127.0.0.1:8480``): an ARM emulator. Plain HTTP is allowed on
  loopback only, and requests carry a static bearer token (``ARM_TOKEN``, default ``emulator``).
- otherwise: Azure Resource Manager with ``DefaultAzureCredential``; ``AZURE_CLIENT_ID`` selects a
  user-assigned managed identity.

Both clients are built by :func:`_build` with one credential per identity, the same endpoint
and the same retry policy; nothing else in the app knows which of the two it talks to.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient

from migration.arm.quota import RemainingQuotaPolicy
from migration.arm.retry import (
    AZURE_PIPELINE_RETRIES,
    EMULATOR_PIPELINE_RETRIES,
    ServiceRetryPolicy,
)

ENDPOINT_SETTING = "ARM_ENDPOINT"
# The Azure SDK logs every request and response at INFO, which the Functions host records by
# default: kept at WARNING unless this setting asks for more (for example INFO).
LOG_LEVEL_SETTING = "ARM_LOG_LEVEL"
SDK_LOGGERS = ("azure.core.pipeline.policies.http_logging_policy", "azure.identity")
TOKEN_SETTING = "ARM_TOKEN"
CLIENT_ID_SETTING = "AZURE_CLIENT_ID"
AZURE_ENDPOINT = "https://management.azure.com"

# Reentrant: building a client under the lock takes the credential under it too.
_lock = threading.RLock()
_clients: dict[tuple[str, ...], Any] = {}
_credentials: dict[str | None, TokenCredential] = {}
C = TypeVar("C", ComputeManagementClient, SubscriptionClient)


class StaticTokenCredential:
    """A ``TokenCredential`` for the emulator, which accepts any bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


class StaticBearerPolicy(SansIOHTTPPolicy[Any, Any]):
    """Adds ``Authorization: Bearer <token>``.

    azure-core's ``BearerTokenCredentialPolicy`` refuses plain ``http://`` URLs, so the emulator's
    pipeline uses this in its place.
    """

    def __init__(self, token: str) -> None:
        self._token = token

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers["Authorization"] = f"Bearer {self._token}"


@dataclass(frozen=True)
class _Settings:
    endpoint: str | None
    token: str
    client_id: str | None


def _settings() -> _Settings:
    endpoint = os.environ.get(ENDPOINT_SETTING, "").strip().rstrip("/") or None
    client_id = os.environ.get(CLIENT_ID_SETTING, "").strip() or None
    token = os.environ.get(TOKEN_SETTING, "").strip() or "emulator"
    return _Settings(endpoint, token, client_id)


def _check_emulator_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{ENDPOINT_SETTING} is not an http(s) URL: {endpoint!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(
            f"{ENDPOINT_SETTING} uses plain http on a non-loopback host ({parts.hostname}); "
            "only a local emulator may be reached without TLS"
        )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _build(kind: type[C], settings: _Settings, **scoped: Any) -> C:
    """A client of ``kind`` for these settings: the emulator's or Azure's pipeline."""
    if settings.endpoint is not None:
        _check_emulator_endpoint(settings.endpoint)
        # The emulator answers at once, so nothing should wait in wall time: poll LROs without
        # delay and back off briefly on 5xx (throttling is the orchestration's to wait out, as in
        # Azure).
        return kind(
            credential=StaticTokenCredential(settings.token),
            base_url=settings.endpoint,
            authentication_policy=StaticBearerPolicy(settings.token),
            retry_policy=ServiceRetryPolicy(**EMULATOR_PIPELINE_RETRIES),
            custom_hook_policy=RemainingQuotaPolicy(),
            polling_interval=0,
            **scoped,
        )
    return kind(
        credential=_azure_credential(settings.client_id),
        retry_policy=ServiceRetryPolicy(**AZURE_PIPELINE_RETRIES),
        custom_hook_policy=RemainingQuotaPolicy(),
        polling_interval=5,
        **scoped,
    )


def _azure_credential(client_id: str | None) -> TokenCredential:
    """One ``DefaultAzureCredential`` per identity for every client (it caches its tokens)."""
    from azure.identity import DefaultAzureCredential

    with _lock:
        credential = _credentials.get(client_id)
        if credential is None:
            credential = DefaultAzureCredential(managed_identity_client_id=client_id)
            _credentials[client_id] = credential
        return credential


def quiet_sdk_logging() -> None:
    """Keep the SDK's request logging at ``ARM_LOG_LEVEL`` (WARNING unless set)."""
    level = logging.getLevelName(os.environ.get(LOG_LEVEL_SETTING, "").strip().upper() or "WARNING")
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(level if isinstance(level, int) else logging.WARNING)


def endpoint() -> str:
    """The ARM endpoint clients are built for now: the emulator's, or Azure's."""
    return _settings().endpoint or AZURE_ENDPOINT


def compute_client(subscription_id: str) -> ComputeManagementClient:
    """The compute client for ``subscription_id``, cached per subscription and settings."""
    return _cached(
        ComputeManagementClient, subscription_id.lower(), subscription_id=subscription_id
    )


def subscription_client() -> SubscriptionClient:
    """The client of ARM's subscriptions API (a subscription's locations), cached per settings."""
    return _cached(SubscriptionClient, "")


def _cached(kind: type[C], subscription: str, **scoped: Any) -> C:
    quiet_sdk_logging()
    settings = _settings()
    cache_key = (
        kind.__name__,
        subscription,
        settings.endpoint or AZURE_ENDPOINT,
        settings.token if settings.endpoint else "",
        settings.client_id or "",
    )
    with _lock:
        client = _clients.get(cache_key)
        if client is None:
            client = _build(kind, settings, **scoped)
            _clients[cache_key] = client
        return client


def clear_client_cache() -> None:
    """Forget cached clients and credentials (tests change settings between cases)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
        _credentials.clear()
    for client in clients:
        client.close()
