"""Telling people: read what a notice is about, lay it out for each destination, post it.

One call tries each destination it is given once and says how each went; the ``notify``
orchestration calls it again, after a durable timer, for those worth another try. Given
``retryAs`` (the migration's outcome, which waits for no retry), it starts that ``notify``
instance itself for those, once: a second run of this activity finds it started. Every post of
one notice carries its ``noticeId`` (body and ``X-Gallery-Migrator-Notice``), so a receiver
drops what it got already. Webhook URLs and the link key are read from the settings here and
never leave this activity (no history, input or status holds them).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp
import azure.durable_functions as df

from activities import names
from migration.config.settings import Settings
from migration.domain.state import ImageState
from migration.durable.jobs import batch_id, images_entity
from migration.durable.status import read_images
from migration.notify import tokens
from migration.notify.destinations import Destination
from migration.notify.notice import Links, Notice, NoticeRequest, compose, wanted
from migration.notify.payloads import payload_for
from migration.notify.schedule import NOTIFY_ORCHESTRATOR, NoticeKind
from migration.notify.sending import (
    SEND_TIMEOUT_SECONDS,
    Deliveries,
    Delivery,
    read_answer,
    unreachable,
)

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.activity_trigger(input_name="work", activity=names.SEND_NOTIFICATION)
@bp.durable_client_input(client_name="client")
async def send_notification(work: dict[str, Any], client: df.DurableOrchestrationClient) -> Any:
    request = NoticeRequest.from_json(work["notice"])
    settings = Settings.from_env()
    known = {d.key: d for d in settings.notify}
    wanted = [str(k) for k in work["destinations"]]
    images = await _images(client, request, settings.notify_max_images)
    notice = compose(request, images, settings.notify_max_images, links(settings, request))
    results = []
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS)
    ) as http:
        for key in wanted:
            destination = known.get(key)
            if destination is None:
                # The setting changed since the migration started: nothing to send it to.
                results.append(Delivery(key=key, label=key, ok=False, error="no longer set"))
                continue
            results.append(await _post(http, destination, notice))
    for result in results:
        if not result.ok:
            log.warning("notice %s to %s: %s", request.kind.value, result.label, result.error)
    again = [r.key for r in results if not r.ok and r.retry]
    if again and (retry_as := work.get("retryAs")):
        await _retry_later(client, str(retry_as), work["notice"], again)
    return Deliveries(results=results).to_json()


async def _retry_later(
    client: df.DurableOrchestrationClient,
    instance: str,
    notice: dict[str, Any],
    destinations: list[str],
) -> None:
    """Hand the further tries of ``destinations`` to the notify instance ``instance``, unless
    another run of this activity did (before, or at the same moment: the host refuses a second
    start of a live instance)."""
    if await _exists(client, instance):
        return
    work = {"notice": notice, "destinations": destinations, "tried": 1}
    try:
        await client.start_new(NOTIFY_ORCHESTRATOR, instance, work)
    except Exception:
        if not await _exists(client, instance):
            raise


async def _exists(client: df.DurableOrchestrationClient, instance: str) -> bool:
    found = await client.get_status(instance)
    return bool(found) and found.runtime_status is not None


async def _images(
    client: df.DurableOrchestrationClient, request: NoticeRequest, max_images: int
) -> list[ImageState]:
    """The images a notice is about, batch by batch: for an approval, until enough are found;
    for the outcome, all of them (what needs a look is listed first, wherever it is)."""
    found: list[ImageState] = []
    about = 0
    for batch in range(request.batches):
        stored = await client.read_entity_state(
            images_entity(batch_id(request.migration_id, batch))
        )
        images = read_images(stored.entity_state if stored.entity_exists else None)
        found.extend(images)
        if request.kind != NoticeKind.OUTCOME:
            about += sum(1 for i in images if wanted(request.kind, i))
            if about >= max_images:
                break
    return found


def links(settings: Settings, request: NoticeRequest) -> Links:
    """Signed approve and reject links for an approval's notice (when the app has a public
    address and a link key), and the status page (function key holders)."""
    base = settings.public_base_url
    if base is None:
        return Links()
    page = tokens.status_page_url(base, request.migration_id)
    key = settings.approval_link_key
    if key is None or request.kind == NoticeKind.OUTCOME or request.deadline is None:
        return Links(page=page)
    made = {
        decision: tokens.decision_url(
            base,
            tokens.sign(
                key,
                tokens.LinkClaims(
                    migration_id=request.migration_id,
                    decision=decision,
                    round=request.round or 0,
                    deadline=request.deadline,
                ),
            ),
        )
        for decision in tokens.LinkDecision
    }
    return Links(
        approve=made[tokens.LinkDecision.APPROVE],
        reject=made[tokens.LinkDecision.REJECT],
        page=page,
    )


async def _post(http: aiohttp.ClientSession, destination: Destination, notice: Notice) -> Delivery:
    body = json.dumps(payload_for(destination.kind, notice)).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "gallery-migrator",
        "X-Gallery-Migrator-Event": notice.event.value,
        "X-Gallery-Migrator-Notice": notice.notice_id,
    }
    try:
        async with http.post(destination.url, data=body, headers=headers) as answer:
            text = await answer.text()
            return read_answer(destination.key, destination.label, answer.status, text)
    except (aiohttp.ClientError, TimeoutError) as error:
        return unreachable(destination.key, destination.label, error)
