"""Event Grid hints: a version write Azure reports makes the version's watcher read it now.

Azure raises ``ResourceWriteSuccess``/``ResourceWriteFailure`` when a version's PUT operation ends
(when its replication ends), and Azure Resource Notifications ``CreatedOrUpdated`` for a
successful write. The event names the version and nothing of ours, so the version's watch entity
(keyed by its id, written by its watcher) says who watches it; the hint is raised on that watcher,
whose read decides. A hint is never needed (polling finds the end anyway), so an event that does
not apply (not a version, not watched, malformed) or that cannot be passed on is dropped with a
log line and answered with success: a retry from Event Grid would only come later.
"""

from __future__ import annotations

import logging
import uuid

import azure.durable_functions as df
import azure.functions as func

from migration.config.policy import shown, written_version
from migration.domain.hints import Hint
from migration.domain.ids import resource_key
from migration.durable.jobs import HINT_EVENT, decoded, version_watch_entity

bp = df.Blueprint()
log = logging.getLogger(__name__)


@bp.function_name("on_version_written")
@bp.event_grid_trigger(arg_name="event")
@bp.durable_client_input(client_name="client")
async def on_version_written(
    event: func.EventGridEvent, client: df.DurableOrchestrationClient
) -> None:
    # A subscription that delivers CloudEvents hands the function a func.CloudEvent instead,
    # which names its type `type` and its time `time`.
    kind = (event.event_type if isinstance(event, func.EventGridEvent) else event.type) or ""
    written_at = event.event_time if isinstance(event, func.EventGridEvent) else event.time
    try:
        data = event.get_json()
    except ValueError:
        data = None
    # The id is whatever was posted: quoted in log lines escaped and bounded.
    eid = shown(event.id)
    version_id, why = written_version(kind, event.subject or "", data)
    if version_id is None:
        log.info("event %s ignored: %s", eid, why)
        return
    try:
        entry = await client.read_entity_state(version_watch_entity(version_id))
    except Exception as error:  # the durable client raises plain Exceptions
        log.warning("event %s dropped: the watch of %s cannot be read: %s", eid, version_id, error)
        return
    state = decoded(entry.entity_state) if entry.entity_exists else None
    watcher = state.get("watcher") if isinstance(state, dict) else None
    if not isinstance(watcher, str) or not watcher:
        log.info("event %s ignored: %s is not being watched", eid, version_id)
        return
    hint = Hint(
        version=resource_key(version_id),
        nonce=uuid.uuid4().hex,
        event_type=kind,
        event_time=written_at,
    )
    try:
        await client.raise_event(watcher, HINT_EVENT, hint.to_json())
    except Exception as error:
        # Gone (completed, failed, terminated) or unknown: nothing to tell.
        log.info("event %s ignored: watcher %s cannot take it: %s", eid, watcher, error)
        return
    log.info("event %s: hinted %s to read %s", eid, watcher, version_id)
