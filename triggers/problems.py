"""RFC 9457 problem details (``application/problem+json``) for every error the API answers."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

from migration.domain.request import FieldError

CONTENT_TYPE = "application/problem+json"
_TYPE = "urn:gallery-migrator:problem:"


def problem(
    status: int, kind: str, title: str, detail: str, **extensions: Any
) -> func.HttpResponse:
    body = {"type": _TYPE + kind, "title": title, "status": status, "detail": detail, **extensions}
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype=CONTENT_TYPE)


def invalid(errors: list[FieldError], title: str = "The request is not valid") -> func.HttpResponse:
    detail = "; ".join(f"{e.field or '(body)'}: {e.message}" for e in errors)
    return problem(400, "invalid-request", title, detail, errors=[e.model_dump() for e in errors])


def forbidden(errors: list[FieldError]) -> func.HttpResponse:
    return problem(
        403,
        "out-of-scope",
        "A resource is outside the scopes this app may touch",
        "; ".join(f"{e.field}: {e.message}" for e in errors),
        errors=[e.model_dump() for e in errors],
    )


def not_found(migration_id: str) -> func.HttpResponse:
    return problem(
        404, "not-found", "No such migration", f"There is no migration '{migration_id}'."
    )


def conflict(detail: str, **extensions: Any) -> func.HttpResponse:
    return problem(409, "conflict", "The migration cannot do that now", detail, **extensions)


def misconfigured(detail: str) -> func.HttpResponse:
    return problem(500, "misconfigured", "The app's settings are not valid", detail)


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype="application/json", headers=headers
    )
