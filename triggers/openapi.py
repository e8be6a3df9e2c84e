"""The HTTP API described as an OpenAPI 3.1 document, served at ``GET /api/openapi.json``.

Generated, never written by hand: request bodies from the ``*Body`` models the door validates
with (:mod:`migration.domain.validation`, :class:`triggers.approvals.DecisionBody`,
:class:`triggers.cancel.CancelBody`), answers from the models every JSON answer is checked
against before it is sent (:mod:`triggers.schemas`), operations from :mod:`triggers.operations`.
``docs/openapi.json`` is a copy, kept equal by a test (``make openapi`` writes it).

The route is anonymous: the document is the repository's, holds nothing about a deployment (its
server is the relative ``/api``), and tools (client generators, API Management, schemathesis)
read it before they hold a key. Every other operation needs a function key, but the decision
page's, which its signed token guards.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from triggers import responses, schemas
from triggers.operations import FORM, HOST_ANSWERS, HTML, JSON, ROUTES

bp = df.Blueprint()

VERSION = "1.0.0"
REF = "#/components/schemas/{model}"


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
            elif answer.media == HTML:
                entry["content"] = {HTML: {"schema": {"type": "string"}}}
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
        for status, text in HOST_ANSWERS.items():
            answers[str(status)] = {"description": text}
        operation: dict[str, Any] = {
            "operationId": op.operation_id,
            "summary": op.summary,
            "responses": answers,
        }
        if op.parameters:
            operation["parameters"] = list(op.parameters)
        if op.body is not None:
            schema = refs[(op.body, "validation")]
            media: dict[str, Any] = {"schema": schema}
            if op.example is not None:
                media["example"] = op.example
            operation["requestBody"] = {"required": op.body_required, "content": {JSON: media}}
        if op.form is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {FORM: {"schema": op.form, "encoding": {"image": {"explode": True}}}},
            }
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
