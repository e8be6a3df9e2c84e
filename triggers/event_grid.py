"""The Event Grid starter: migrate a managed image when Azure says one was written.

Delivery is at least once and a tag change fires the same event, so an event starts a migration
only for an opted-in image that is not already migrated or being migrated; any other event is
ignored with a log line, and nothing is started.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from migration.arm.inspection import inspect_and_plan
from migration.config.policy import EventGridPolicy, shown, written_image
from migration.config.settings import Settings, SettingsError
from migration.domain.body import RequestInvalid
from migration.durable import claims
from triggers import door, starting

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.function_name("on_image_written")
@bp.event_grid_trigger(arg_name="event")
@bp.durable_client_input(client_name="client")
async def on_image_written(
    event: func.EventGridEvent, client: df.DurableOrchestrationClient
) -> None:
    # A subscription that delivers CloudEvents hands the function a func.CloudEvent instead,
    # which names its type `type`.
    kind = event.event_type if isinstance(event, func.EventGridEvent) else event.type
    # The id too is whatever was posted: quoted in log lines escaped and bounded.
    eid = shown(event.id)
    image_id, why = written_image(kind, event.subject, event.get_json())
    if image_id is None:
        log.info("event %s ignored: %s", eid, why)
        return
    try:
        settings = Settings.from_env()
        policy = EventGridPolicy.from_env(os.environ, settings)
        if policy is None:
            log.info("event %s ignored: EVENTGRID_GALLERY_ID is not set", eid)
            return
        # Validated as a request at the door is, regions included (an ARM read: off the loop; if
        # it fails, this raises and Event Grid delivers the event again later).
        request = await asyncio.to_thread(
            policy.request_for, image_id, door.request_limits(settings)
        )
    except (SettingsError, RequestInvalid) as error:
        log.error("event %s ignored: the Event Grid policy is not valid: %s", eid, error)
        return
    if outside := starting.out_of_scope(request, settings):
        log.info("event %s ignored: %s", eid, "; ".join(e.message for e in outside))
        return
    # One inspection decides, and the orchestration plans from it: the image is read once. ARM
    # reads block, so they run off the event loop; a read that fails raises, and Event Grid
    # delivers the event again later.
    inspection, plan = await asyncio.to_thread(
        inspect_and_plan, request, settings.plan_rules(), datetime.now(UTC), skip_migrated=True
    )
    image = inspection.image(image_id)
    if image is None or not image.exists:
        log.info("event %s ignored: image %s cannot be read or no longer exists", eid, image_id)
        return
    if not policy.opted_in(image):
        log.info("event %s ignored: %s lacks tag %s", eid, image_id, policy.opt_in_tag)
        return
    planned = plan.images[0]
    if planned.skipped:
        log.info("event %s ignored: %s is already migrated", eid, image_id)
        return
    if reasons := plan.problems + planned.problems:
        log.warning(
            "event %s ignored: %s cannot be migrated: %s", eid, image_id, "; ".join(reasons)
        )
        return
    outcome = await starting.start(
        client, request, settings, trigger="eventGrid", skip_migrated=True, inspection=inspection
    )
    if isinstance(outcome, claims.Conflict):
        log.info(
            "event %s ignored: %s is being migrated by %s", eid, image_id, outcome.migration_id
        )
        return
    log.info("event %s started migration %s of %s", eid, outcome.migration_id, image_id)
