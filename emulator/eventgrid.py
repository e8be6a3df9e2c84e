"""Event Grid notifications: what a subscription-level system topic sends when an image is written.

When a webhook is configured, every successful write of a managed image (PUT or PATCH) is POSTed
as a ``Microsoft.Resources.ResourceWriteSuccess`` event, in the Event Grid schema (an array) or as
a CloudEvents 1.0 event. Delivery is fire-and-forget with retries (at least once); every attempt is
recorded and failures are logged, never raised into the request that caused them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import uuid
from datetime import datetime
from typing import Any

import aiohttp

from emulator.config import EmulatorConfig
from emulator.records import Delivery, Recorder
from emulator.resources import ManagedImage, timestamp
from simclock import Clock

log = logging.getLogger(__name__)

EVENT_TYPE = "Microsoft.Resources.ResourceWriteSuccess"
WRITE_ACTION = "Microsoft.Compute/images/write"
#: Simulated seconds between delivery attempts (Event Grid starts at 10 s, 30 s, 1 min, ...).
RETRY_SCHEDULE = (10.0, 30.0, 60.0, 300.0)


def subject_of(resource_id: str) -> str:
    # Event Grid's subjects for ARM events spell ``resourcegroups`` in lower case; consumers
    # must compare ids case-insensitively.
    parts = resource_id.split("/")
    return "/".join(
        "resourcegroups" if part.lower() == "resourcegroups" else part for part in parts
    )


def resource_write_data(
    image: ManagedImage, tenant_id: str, correlation_id: str, request: dict[str, str] | None
) -> dict[str, Any]:
    subscription_scope = f"/subscriptions/{image.subscription}"
    data: dict[str, Any] = {
        "authorization": {
            "scope": image.resource_id,
            "action": WRITE_ACTION,
            "evidence": {
                "role": "Contributor",
                "roleAssignmentScope": subscription_scope,
                "roleAssignmentId": "00000000000000000000000000000001",
                "roleDefinitionId": "b24988ac618042a0ab8820f7382dd24c",
                "principalId": "00000000000000000000000000000002",
                "principalType": "ServicePrincipal",
            },
        },
        "claims": {
            "aud": "https://management.azure.com/",
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "appid": "00000000-0000-0000-0000-000000000003",
        },
        "correlationId": correlation_id,
        "resourceProvider": "Microsoft.Compute",
        "resourceUri": image.resource_id,
        "operationName": WRITE_ACTION,
        "status": "Succeeded",
        "subscriptionId": image.subscription,
        "tenantId": tenant_id,
    }
    if request is not None:
        data["httpRequest"] = dict(request)
    return data


def build_event(
    image: ManagedImage, when: datetime, config: EmulatorConfig, rng: random.Random
) -> dict[str, Any]:
    event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    correlation_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    data = resource_write_data(image, config.tenant_id, correlation_id, image.write_request)
    topic = f"/subscriptions/{image.subscription}"
    if config.eventgrid_schema == "CloudEvents":
        return {
            "specversion": "1.0",
            "type": EVENT_TYPE,
            "source": topic,
            "subject": subject_of(image.resource_id),
            "id": event_id,
            "time": timestamp(when),
            "datacontenttype": "application/json",
            "data": data,
        }
    return {
        "id": event_id,
        "eventType": EVENT_TYPE,
        "eventTime": timestamp(when),
        "subject": subject_of(image.resource_id),
        "topic": topic,
        "dataVersion": "2",
        "metadataVersion": "1",
        "data": data,
    }


class EventGridPublisher:
    """Sends events from the loop serving the emulator; any thread may call ``publish``."""

    def __init__(self, config: EmulatorConfig, clock: Clock, recorder: Recorder) -> None:
        self._config = config
        self._clock = clock
        self._recorder = recorder
        self._rng = random.Random(f"eventgrid:{config.seed}")
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def enabled(self) -> bool:
        return self._config.event_grid_webhook is not None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.enabled and self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._loop = None

    async def drain(self) -> None:
        """Wait for every delivery under way (retries included) to finish."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def publish(self, image: ManagedImage, when: datetime) -> None:
        if not self.enabled:
            return
        with self._lock:
            event = build_event(image, when, self._config, self._rng)
        loop = self._loop
        if loop is None or loop.is_closed():
            log.warning(
                "event grid: not serving, event %s for %s dropped", event["id"], image.resource_id
            )
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._spawn(event)
        else:
            loop.call_soon_threadsafe(self._spawn, event)

    def _spawn(self, event: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: dict[str, Any]) -> None:
        url = self._config.event_grid_webhook
        if url is None or self._session is None:
            return
        cloud = self._config.eventgrid_schema == "CloudEvents"
        payload: Any = event if cloud else [event]
        headers = {
            "aeg-event-type": "Notification",
            "aeg-subscription-name": "EMULATOR-IMAGE-WRITES",
            "aeg-metadata-version": "1",
            "Content-Type": (
                "application/cloudevents+json; charset=utf-8" if cloud else "application/json"
            ),
        }
        if not cloud:
            headers["aeg-data-version"] = "2"
        attempts = self._config.eventgrid_max_attempts
        for attempt in range(1, attempts + 1):
            headers["aeg-delivery-count"] = str(attempt - 1)
            status: int | None = None
            error: str | None = None
            try:
                async with self._session.post(url, json=payload, headers=headers) as response:
                    status = response.status
                    await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            ok = status is not None and 200 <= status < 300
            if not ok and error is None:
                error = f"HTTP {status}"
            self._recorder.delivery(
                Delivery(self._clock.now(), event["id"], event["subject"], attempt, status, error)
            )
            if ok:
                return
            log.warning("event grid: delivery %d of %s failed: %s", attempt, event["id"], error)
            if attempt < attempts:
                delay = RETRY_SCHEDULE[min(attempt - 1, len(RETRY_SCHEDULE) - 1)]
                await asyncio.sleep(self._clock.wall_seconds(delay))
        log.error("event grid: gave up on %s after %d attempts", event["id"], attempts)
