"""Listing Durable instances page by page, past the first page.

The Python SDK's ``get_status_by`` reads one page of the host's instance query and drops its
continuation token (on Azure Storage a page is 100 instances, in instance-id order). The
host's query takes ``top`` and answers with an ``x-ms-continuation-token`` header for the next
page; this asks the same endpoint the SDK asks (the client binding's ``rpcBaseUrl``) and keeps
the token, so a listing can go as far as it needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import aiohttp
import azure.durable_functions as df
from azure.durable_functions.models.DurableOrchestrationStatus import DurableOrchestrationStatus
from azure.durable_functions.models.RpcManagementOptions import RpcManagementOptions

CONTINUATION_HEADER = "x-ms-continuation-token"
PAGE = 100


async def page(
    client: df.DurableOrchestrationClient,
    *,
    prefix: str | None = None,
    runtime_status: Sequence[df.OrchestrationRuntimeStatus] | None = None,
    created_from: datetime | None = None,
    top: int = PAGE,
    continuation: str | None = None,
) -> tuple[list[DurableOrchestrationStatus], str | None]:
    """One page of instances, and the token of the next page (``None`` after the last)."""
    options = RpcManagementOptions(
        created_time_from=created_from,
        runtime_status=list(runtime_status) if runtime_status else None,
        instance_id_prefix=prefix,
    )
    # The SDK keeps the binding's RPC address to itself; it is where its own queries go.
    base: str | None = client._orchestration_bindings.rpc_base_url
    url = options.to_url(base)
    url += ("&" if "?" in url else "?") + f"top={top}"
    headers = {CONTINUATION_HEADER: continuation} if continuation else {}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as answer:
        if answer.status != 200:
            raise RuntimeError(f"the instance query answered {answer.status}")
        found: list[Any] = await answer.json(content_type=None) or []
        token = answer.headers.get(CONTINUATION_HEADER) or None
    if token in ("", "null"):
        token = None
    return [DurableOrchestrationStatus.from_json(item) for item in found], token


async def every(
    client: df.DurableOrchestrationClient,
    *,
    prefix: str,
    created_from: datetime | None = None,
    runtime_status: Sequence[df.OrchestrationRuntimeStatus] | None = None,
    top: int | None = None,
) -> AsyncIterator[DurableOrchestrationStatus]:
    """Every instance whose id starts with ``prefix`` (and of ``runtime_status``, when given),
    page after page (``top`` long, :data:`PAGE` when not given)."""
    token: str | None = None
    while True:
        found, token = await page(
            client,
            prefix=prefix,
            runtime_status=runtime_status,
            created_from=created_from,
            top=top or PAGE,
            continuation=token,
        )
        for status in found:
            yield status
        if not token:
            return
