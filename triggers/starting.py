"""Starting a migration, shared by the HTTP API and the Event Grid starter."""

from __future__ import annotations

from dataclasses import dataclass

import azure.durable_functions as df

from migration.config.settings import Settings
from migration.domain.body import FieldError
from migration.domain.facts import Inspection
from migration.domain.ids import parse_gallery_id, parse_image_id, parse_scope
from migration.domain.request import MigrationRequest
from migration.durable import claims
from migration.durable.claims import claim_id
from migration.durable.jobs import ORCHESTRATOR, MigrationInput, Options, new_migration_id


@dataclass(frozen=True)
class Started:
    migration_id: str


def out_of_scope(request: MigrationRequest, settings: Settings) -> list[FieldError]:
    """Each resource of ``request`` that lies outside the allowed scopes, as a field error."""
    found = []
    scopes = ", ".join(str(s) for s in settings.allowed_scopes)
    if not settings.in_scope(parse_gallery_id(request.gallery)):
        found.append(FieldError(field="gallery", message=f"not inside any of: {scopes}"))
    for index, image in enumerate(request.images):
        if not settings.in_scope(parse_image_id(image.source)):
            found.append(
                FieldError(field=f"images[{index}].source", message=f"not inside any of: {scopes}")
            )
    for index, scope in enumerate(request.scopes):
        if not settings.covers(parse_scope(scope)):
            found.append(
                FieldError(field=f"scopes[{index}]", message=f"not inside any of: {scopes}")
            )
    return found


async def start(
    client: df.DurableOrchestrationClient,
    request: MigrationRequest,
    settings: Settings,
    *,
    trigger: str,
    skip_migrated: bool = False,
    inspection: Inspection | None = None,
) -> Started | claims.Conflict:
    """Claim every source, then start the orchestration; on any failure, claim nothing."""
    migration_id = new_migration_id()
    sources = [image.source for image in request.images]
    conflict = await claims.acquire(client, migration_id, sources)
    if conflict is not None:
        return conflict
    job = MigrationInput(
        migration_id=migration_id,
        request=request,
        options=Options.from_settings(settings, request, skip_migrated=skip_migrated),
        trigger=trigger,
        claims=[claim_id(source) for source in sources],
        inspection=inspection,
    )
    try:
        await client.start_new(ORCHESTRATOR, migration_id, job.to_json())
    except BaseException:
        await claims.release(client, migration_id, job.claims)
        raise
    return Started(migration_id)
