"""The HTTP API described as an OpenAPI 3.1 document, served at ``GET /api/openapi.json``.

Generated, never written by hand: request bodies from the ``*Body`` models the door validates
with (:mod:`migration.domain.validation`, :class:`triggers.approvals.DecisionBody`), answers from
the models every answer is checked against before it is sent (:mod:`triggers.schemas`), query
parameters from the limits the endpoints apply. ``docs/openapi.json`` is a copy, kept equal by a
test (``make openapi`` writes it).

The route is anonymous: the document is the repository's, holds nothing about a deployment (its
server is the relative ``/api``), and tools (client generators, API Management, schemathesis)
read it before they hold a key. Every other operation needs a function key.

Extension point: a new operation is one more :class:`Operation` in :data:`ROUTES` (and its answer
model in :mod:`triggers.schemas`); a test checks that every HTTP function of the app is listed.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from migration.domain.state import ImagePhase
from migration.domain.validation import RequestBody
from triggers import responses, schemas
from triggers.approvals import DecisionBody
from triggers.door import MAX_BODY_BYTES
from triggers.status import DEFAULT_LIST, MAX_LIST

bp = df.Blueprint()

VERSION = "1.0.0"
JSON = "application/json"
REF = "#/components/schemas/{model}"

# The answers every operation may give besides its own (the door's and the id's).
_BODY_PROBLEMS = {
    400: "The body is not valid: every bad field is named.",
    413: f"The body is larger than {MAX_BODY_BYTES} bytes.",
    415: "The body is not sent as JSON (Content-Type: application/json).",
}


@dataclass(frozen=True)
class Answer:
    description: str
    model: type[BaseModel] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # OpenAPI links: operation id -> the path parameter ``id``'s value in this answer.
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    answers: dict[int, Answer]
    body: type[BaseModel] | None = None
    parameters: tuple[dict[str, Any], ...] = ()
    problems: dict[int, str] = field(default_factory=dict)
    anonymous: bool = False


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, **_text(description)}


def _text(description: str) -> dict[str, str]:
    return {"description": description}


def _listed(values: list[str]) -> dict[str, Any]:
    """A comma-separated list of ``values`` in one query parameter."""
    return {"type": "array", "items": {"type": "string", "enum": values}}


_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The migration's id (mig-...).",
}
_TOP = _query(
    "top",
    {"type": "integer", "minimum": 1, "maximum": MAX_LIST, "default": DEFAULT_LIST},
    "How many to answer with at most.",
)
_NOT_FOUND = {404: "There is no migration with this id."}
_DECISION_PROBLEMS = {
    **_BODY_PROBLEMS,
    **_NOT_FOUND,
    409: "The migration is not waiting for this decision (ended, not yet replicated, decided).",
    503: "The decision was sent but not seen recorded in time; read the status.",
}
_STARTED_HEADERS = {"Location": "The migration's status (statusUri).", "Retry-After": "Seconds."}
# What a migration's id leads to.
_BY_ID = ("getMigration", "listImages", "approveMigration", "rejectMigration")

ROUTES: tuple[Operation, ...] = (
    Operation(
        "get",
        "/migrations",
        "listMigrations",
        "Recent migrations, newest first",
        {200: Answer("The migrations.", schemas.MigrationList)},
        parameters=(
            {
                **_query(
                    "runtimeStatus",
                    _listed([s.value for s in schemas.RuntimeStatus if s.value != "Unknown"]),
                    "Only migrations in these runtime statuses (comma-separated).",
                ),
                "style": "form",
                "explode": False,
            },
            _TOP,
            _query(
                "createdAfter",
                {"type": "string"},
                "Only migrations created after this ISO 8601 date or date and time (UTC if "
                "no offset is given).",
            ),
        ),
        problems={400: "A query parameter is not valid: each is named."},
    ),
    Operation(
        "post",
        "/migrations",
        "startMigration",
        "Start a migration",
        {
            202: Answer(
                "Started.",
                schemas.Started,
                _STARTED_HEADERS,
                dict.fromkeys(_BY_ID, "$response.body#/migrationId"),
            )
        },
        body=RequestBody,
        problems={
            **_BODY_PROBLEMS,
            403: "A resource is outside the scopes this app may touch.",
            409: "A source is being migrated by another migration (named).",
            502: "Azure Resource Manager did not answer a read the check needs.",
        },
    ),
    Operation(
        "post",
        "/migrations/plan",
        "planMigration",
        "Dry run: what a start would create, and what is in the way (reads only)",
        {200: Answer("The plan.", schemas.PlanAnswer)},
        body=RequestBody,
        problems={
            **_BODY_PROBLEMS,
            403: "A resource is outside the scopes this app may touch.",
            502: "Azure Resource Manager did not answer a read.",
        },
    ),
    Operation(
        "get",
        "/migrations/{id}",
        "getMigration",
        "A migration's status, with its first page of images",
        {
            200: Answer(
                "The migration.",
                schemas.MigrationView,
                links=dict.fromkeys(_BY_ID[1:], "$request.path.id"),
            )
        },
        parameters=(_ID,),
        problems=_NOT_FOUND,
    ),
    Operation(
        "get",
        "/migrations/{id}/images",
        "listImages",
        "A migration's images in pages, each in full",
        {200: Answer("A page of images.", schemas.ImagesPage)},
        parameters=(
            _ID,
            {
                **_query(
                    "phase",
                    _listed([p.value for p in ImagePhase]),
                    "Only images in these phases (comma-separated).",
                ),
                "style": "form",
                "explode": False,
            },
            _TOP,
            _query(
                "continuationToken",
                {"type": "string", "pattern": "^[0-9]+$"},
                "Where the page starts: a previous page's continuationToken.",
            ),
        ),
        problems={400: "A query parameter is not valid: each is named.", **_NOT_FOUND},
    ),
    Operation(
        "post",
        "/migrations/{id}/approve",
        "approveMigration",
        "Approve deleting the sources (all undecided images, or those named)",
        {202: Answer("Recorded.", schemas.DecisionAnswer)},
        body=DecisionBody,
        parameters=(_ID,),
        problems=_DECISION_PROBLEMS,
    ),
    Operation(
        "post",
        "/migrations/{id}/reject",
        "rejectMigration",
        "Reject deleting the sources (all undecided images, or those named): they are kept",
        {202: Answer("Recorded.", schemas.DecisionAnswer)},
        body=DecisionBody,
        parameters=(_ID,),
        problems=_DECISION_PROBLEMS,
    ),
    Operation(
        "get",
        "/openapi.json",
        "getOpenApi",
        "This document",
        {200: Answer("The OpenAPI document.")},
        anonymous=True,
    ),
)


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document (built once per process)."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(schemas.Problem, "serialization")]
    for op in ROUTES:
        if op.body is not None:
            models.append((op.body, "validation"))
        models += [(a.model, "serialization") for a in op.answers.values() if a.model]
    refs, defs = models_json_schema(list(dict.fromkeys(models)), ref_template=REF, by_alias=True)
    problem = refs[(schemas.Problem, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for op in ROUTES:
        answers: dict[str, Any] = {}
        for status, answer in op.answers.items():
            entry: dict[str, Any] = {"description": answer.description}
            if answer.model is not None:
                entry["content"] = {JSON: {"schema": refs[(answer.model, "serialization")]}}
            else:
                entry["content"] = {JSON: {"schema": {"type": "object"}}}
            if answer.links:
                entry["links"] = {
                    target: {"operationId": target, "parameters": {"id": value}}
                    for target, value in answer.links.items()
                }
            if answer.headers:
                entry["headers"] = {
                    name: {"description": text, "schema": {"type": "string"}}
                    for name, text in answer.headers.items()
                }
            answers[str(status)] = entry
        for status, text in op.problems.items():
            content = {responses.PROBLEM_CONTENT_TYPE: {"schema": problem}}
            answers[str(status)] = {"description": text, "content": content}
        operation: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "responses": answers,
        }
        if op.parameters:
            operation["parameters"] = list(op.parameters)
        if op.body is not None:
            schema = refs[(op.body, "validation")]
            operation["requestBody"] = {"required": True, "content": {JSON: {"schema": schema}}}
        if op.anonymous:
            operation["security"] = []
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gallery Migrator",
            "version": VERSION,
            "description": (
                "Migrates Azure managed images into an Azure Compute Gallery and deletes each "
                "source only once a version made from it has replicated everywhere (and, where "
                "asked, a person approved). Errors are RFC 9457 problem details. The Event Grid "
                "starter is a webhook of the Functions host, not part of this API."
            ),
        },
        "servers": [{"url": "/api"}],
        "security": [{"functionKey": []}, {"functionKeyQuery": []}],
        "paths": paths,
        "components": {
            "schemas": _untitled(defs.get("$defs", {})),
            "securitySchemes": {
                "functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"},
                "functionKeyQuery": {"type": "apiKey", "in": "query", "name": "code"},
            },
        },
    }


def _untitled(schema: Any) -> Any:
    """``schema`` without the titles pydantic gives each property (``Replicacount``): the
    property's name says it, and models keep theirs."""
    if isinstance(schema, list):
        return [_untitled(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {key: _untitled(value) for key, value in schema.items()}
    if isinstance(cleaned.get("properties"), dict):
        for value in cleaned["properties"].values():
            if isinstance(value, dict):
                value.pop("title", None)
    return cleaned


def document_text() -> str:
    """The document as ``docs/openapi.json`` holds it."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def get_openapi(req: func.HttpRequest) -> func.HttpResponse:
    return responses.json_response(document(), schema=None)
