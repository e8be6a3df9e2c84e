"""The durable SDK's HTTP session, made safe for several hosts in one process.

azure-functions-durable keeps one aiohttp ``ClientSession`` and one ``asyncio.Lock`` at module
level for the client's calls to the host. In the real worker there is one event loop for the life
of the process; in a test process each host (and each test) may have its own loop, and both objects
are bound to the loop that first used them. Each host therefore starts and ends with fresh ones.
"""

from __future__ import annotations

import asyncio

from azure.durable_functions.models.utils import http_utils


async def reset() -> None:
    session = http_utils._client_session
    http_utils._client_session = None
    http_utils._session_lock = asyncio.Lock()
    if session is None or session.closed:
        return
    if getattr(session, "_loop", None) is asyncio.get_running_loop():
        await session.close()
