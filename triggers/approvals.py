"""Approving or rejecting a migration that waits for a decision before it deletes sources."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from migration.domain.body import FieldError, field_errors
from migration.domain.ids import ResourceIdError, parse_image_id
from migration.domain.request import DeleteSource
from migration.domain.state import (
    ApprovalDecision,
    Decision,
    DecisionRecord,
    ImagePhase,
    Phase,
    Refusal,
)
from migration.durable.jobs import ACTIVE, APPROVAL_EVENT
from migration.durable.status import read_job, read_state
from triggers import door, responses, schemas
from triggers.links import migration_links
from triggers.status import find_migration, read_fleet, read_images

bp = df.Blueprint()
log = logging.getLogger(__name__)

# How long a decision waits to see the orchestration record it, and how often it looks: a
# person waits that long for the answer at most (a busy host takes seconds to run an episode;
# the HTTP limit is 230 s), and a 503 after it says to read the status instead.
DECISION_WAIT = 30.0
DECISION_POLL = 0.1


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)
    by: door.Person
    reason: door.Reason | None = Field(default=None)
    # The sources decided (each a managed image id of the migration); absent: every image
    # still undecided.
    images: list[str] | None = Field(default=None, min_length=1, max_length=1000)

    @field_validator("images")
    @classmethod
    def _ids(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        try:
            return [parse_image_id(source).id for source in value]
        except ResourceIdError as error:
            raise ValueError(str(error)) from None


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
    raw = door.json_body(req)
    if isinstance(raw, func.HttpResponse):
        return raw
    try:
        body = DecisionBody.model_validate_json(raw or b"{}")
    except ValidationError as error:
        return responses.bad_request(field_errors(error))
    decision = ApprovalDecision(
        approved=approved, by=body.by, reason=body.reason, images=body.images
    )
    verdict = await decide(client, migration_id, decision)
    if isinstance(verdict, func.HttpResponse):
        return verdict
    verb = "approved" if approved else "rejected"
    log.info("migration %s: %d image(s) %s by %s", migration_id, verdict.images, verb, body.by)
    answer = {
        "migrationId": migration_id,
        "decision": verb,
        "by": body.by,
        "reason": body.reason,
        "images": verdict.images,
        "recorded": True,
        "statusUri": migration_links(req, migration_id)["statusUri"],
    }
    return responses.json_response(answer, 202, schema=schemas.DecisionAnswer)


async def decide(
    client: df.DurableOrchestrationClient, migration_id: str, decision: ApprovalDecision
) -> DecisionRecord | func.HttpResponse:
    """Hand ``decision`` to the migration once it is known to apply, and see it recorded; or the
    answer that refuses it (the one path for the API and the decision page)."""
    status = await find_migration(client, migration_id)
    job = read_job(status) if status else None
    state = read_state(status) if status else None
    if status is None or job is None or state is None:
        return responses.migration_not_found(migration_id)
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
    if state.approval.timed_out:
        return _expired(migration_id)
    if state.phase != Phase.AWAITING_APPROVAL:
        # A decision is taken on what replication achieved; before that there is nothing to see.
        return responses.conflict(
            f"Migration {migration_id} is not waiting for approval yet (phase "
            f"{state.phase.value}); decide once every image has replicated, before the deadline."
        )
    if not state.approval.awaiting:
        return responses.conflict(f"Every image of migration {migration_id} is decided already.")
    if decision.images is not None:
        refused = await _check_images(client, migration_id, decision.images)
        if refused is not None:
            return refused
    decision = decision.model_copy(update={"request_id": uuid.uuid4().hex})
    await client.raise_event(migration_id, APPROVAL_EVENT, decision.to_json())
    recorded = await _recorded(client, migration_id, str(decision.request_id), decision.approved)
    if recorded is None:
        return responses.problem_response(
            503,
            "not-recorded",
            "The decision was sent but not seen recorded yet",
            f"Read migration {migration_id} to see whether it was taken.",
        )
    if recorded.refused == Refusal.LATE:
        return _expired(migration_id)
    if recorded.refused == Refusal.LINK_SPENT:
        return responses.problem_response(
            410,
            "link-used",
            "This link was used",
            "A decision was recorded with this link (or a newer one): it decides nothing more.",
        )
    if recorded.images == 0:
        return responses.conflict(
            f"Every image this decision names in migration {migration_id} was decided already."
        )
    return recorded


def _expired(migration_id: str) -> func.HttpResponse:
    """410: the decision came at or after the approval's deadline."""
    return responses.problem_response(
        410,
        "expired",
        "The approval's deadline passed",
        f"This decision reached migration {migration_id} once its approval had expired (at its "
        "deadline): it decided nothing, and the images nobody decided on are kept.",
    )


async def _check_images(
    client: df.DurableOrchestrationClient, migration_id: str, sources: list[str]
) -> func.HttpResponse | None:
    fleet = await read_fleet(client, migration_id)
    every, _ = await read_images(client, fleet, top=10**9)
    images = {i.source.lower(): i for i in every}
    unknown = [
        FieldError(field=f"images[{n}]", message="not an image of this migration")
        for n, source in enumerate(sources)
        if source.lower() not in images
    ]
    if unknown:
        return responses.bad_request(unknown)
    decided = [
        s
        for s in sources
        if images[s.lower()].phase != ImagePhase.REPLICATED
        or images[s.lower()].decision is not None
    ]
    if decided:
        return responses.conflict(
            "These images are not waiting for a decision (decided already, or not replicated): "
            + ", ".join(decided[:20]),
            images=decided[:100],
        )
    return None


async def _recorded(
    client: df.DurableOrchestrationClient, migration_id: str, request_id: str, approved: bool
) -> DecisionRecord | None:
    """The decision the orchestration recorded for ``request_id``, once it has (a few seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DECISION_WAIT
    while True:
        status = await client.get_status(migration_id)
        state = read_state(status) if status else None
        if state is not None:
            for record in state.approval.decisions:
                if record.request_id == request_id:
                    return record
            if not state.approval.awaiting:
                # Others decided every image first, or the deadline came (and the approval
                # ended before it read this decision): it found nothing left.
                return DecisionRecord(
                    decision=Decision.APPROVED if approved else Decision.REJECTED,
                    request_id=request_id,
                    at=state.finished_at or datetime.now(UTC),
                    images=0,
                    refused=Refusal.LATE if state.approval.timed_out else None,
                )
        if not status or status.runtime_status not in ACTIVE or loop.time() >= deadline:
            return None
        await asyncio.sleep(DECISION_POLL)
