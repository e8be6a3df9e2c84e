"""Raising events on other instances, which an orchestration cannot do itself."""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df

from activities import names
from migration.durable.outcome import Outcome

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.activity_trigger(input_name="events", activity=names.SEND_EVENTS)
@bp.durable_client_input(client_name="client")
async def send_events(events: list[dict[str, Any]], client: df.DurableOrchestrationClient) -> Any:
    for event in events:
        try:
            await client.raise_event(event["instance"], event["name"], event["payload"])
        except Exception as error:
            # The receiver has ended (terminated, cancelled): nobody waits for the event.
            log.info("event %s for %s not raised: %s", event["name"], event["instance"], error)
    return Outcome(ok=True, value=len(events)).to_json()
