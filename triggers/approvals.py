"""Approving or rejecting a migration that waits for a decision before it deletes sources."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import azure.durable_functions as df
import azure.functions as func
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from migration.domain import rules
from migration.domain.request import DeleteSource
from migration.domain.state import ApprovalDecision, ApprovalState, Phase
from migration.domain.validation import field_errors
from migration.durable.jobs import ACTIVE, APPROVAL_EVENT
from migration.durable.status import read_job, read_state
from triggers import door, responses
from triggers.links import migration_links
from triggers.status import find_migration

bp = df.Blueprint()
log = logging.getLogger(__name__)

# How long a decision waits to see the orchestration record it, and how often it looks.
DECISION_WAIT = 10.0
DECISION_POLL = 0.1


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)
    by: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    reason: Annotated[str, StringConstraints(max_length=2000)] | None = Field(default=None)

    @field_validator("by", "reason")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and (error := rules.free_text_error(value)):
            raise ValueError(error)
        return value


@bp.route(route="migrations/{id}/approve", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def approve_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await _decide(req, client, approved=True)


@bp.route(route="migrations/{id}/reject", methods=["POST"])
@bp.durable_client_input(client_name="client")
async def reject_migration(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    return await _decide(req, client, approved=False)


async def _decide(
    req: func.HttpRequest, client: df.DurableOrchestrationClient, *, approved: bool
) -> func.HttpResponse:
    migration_id = req.route_params.get("id", "")
    status = await find_migration(client, migration_id)
    job = read_job(status) if status else None
    state = read_state(status) if status else None
    if status is None or job is None or state is None:
        return responses.migration_not_found(migration_id)
    raw = door.json_body(req)
    if isinstance(raw, func.HttpResponse):
        return raw
    try:
        body = DecisionBody.model_validate_json(raw or b"{}")
    except ValidationError as error:
        return responses.bad_request(field_errors(error))
    if status.runtime_status not in ACTIVE:
        return responses.conflict(
            f"Migration {migration_id} has ended ({status.runtime_status.value}); "
            "there is nothing to decide."
        )
    # The input says it from the start; the custom status only once the first episode has run.
    policy = job.request.delete_source
    if policy != DeleteSource.AFTER_APPROVAL:
        return responses.conflict(
            f"Migration {migration_id} needs no approval: deleteSource is {policy.value}."
        )
    if (earlier := state.approval).decision is not None:
        return responses.conflict(
            f"Migration {migration_id} was already {earlier.decision.value} by {earlier.by}."
        )
    if state.phase != Phase.AWAITING_APPROVAL:
        # A decision is taken on what replication achieved; before that there is nothing to see.
        return responses.conflict(
            f"Migration {migration_id} is not waiting for approval yet (phase "
            f"{state.phase.value}); decide once every image has replicated."
        )
    decision = ApprovalDecision(approved=approved, by=body.by, reason=body.reason)
    await client.raise_event(migration_id, APPROVAL_EVENT, decision.to_json())
    # Two people may decide at once; the orchestration takes the first event it sees. Answer
    # with what it recorded, so that the one who lost is told.
    recorded = await _recorded_decision(client, migration_id)
    verb = "approved" if approved else "rejected"
    if recorded and recorded.decision and (recorded.decision.value, recorded.by) != (verb, body.by):
        return responses.conflict(
            f"Migration {migration_id} was already {recorded.decision.value} by {recorded.by}."
        )
    log.info("migration %s %s by %s", migration_id, verb, body.by)
    answer = {
        "migrationId": migration_id,
        "decision": verb,
        "by": body.by,
        "reason": body.reason,
        "recorded": recorded is not None,
        "statusUri": migration_links(req, migration_id)["statusUri"],
    }
    return responses.json_response(answer, 202)


async def _recorded_decision(
    client: df.DurableOrchestrationClient, migration_id: str
) -> ApprovalState | None:
    """The decision the orchestration recorded, once it has (waits a few seconds at most)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DECISION_WAIT
    while True:
        status = await client.get_status(migration_id)
        state = read_state(status) if status else None
        if state is not None and state.approval.decision is not None:
            return state.approval
        if not status or status.runtime_status not in ACTIVE or loop.time() >= deadline:
            return None
        await asyncio.sleep(DECISION_POLL)
