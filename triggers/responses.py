"""The HTTP answers the API builds: JSON bodies, and RFC 9457 problem details
(``application/problem+json``) for every error, each named for the answer it builds.

Every body is checked against its model in :mod:`triggers.schemas` (the models the OpenAPI
document is generated from) before it is sent: an answer that does not match its description
is a bug, and fails loudly where tests see it rather than reaching a client.
"""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
from pydantic import BaseModel

from migration.domain.body import FieldError
from triggers import schemas

PROBLEM_CONTENT_TYPE = "application/problem+json"
_TYPE = "urn:gallery-migrator:problem:"


def json_response(
    body: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    *,
    schema: type[BaseModel] | None,
) -> func.HttpResponse:
    """``body`` as JSON, once it is what ``schema`` describes (``None``: a body no model
    describes, such as the OpenAPI document itself)."""
    if schema is not None:
        schema.model_validate(body)
    return func.HttpResponse(
        json.dumps(body), status_code=status, mimetype="application/json", headers=headers
    )


def problem_response(
    status: int, kind: str, title: str, detail: str, **extensions: Any
) -> func.HttpResponse:
    body = {"type": _TYPE + kind, "title": title, "status": status, "detail": detail, **extensions}
    schemas.Problem.model_validate(body)
    return func.HttpResponse(json.dumps(body), status_code=status, mimetype=PROBLEM_CONTENT_TYPE)


# The most field errors one answer lists; the rest are counted (a huge body must not get a
# huger answer, whichever check refuses it).
MAX_ERRORS = 100


def field_problem(
    status: int, kind: str, title: str, errors: list[FieldError]
) -> func.HttpResponse:
    """A problem naming each bad field: the first :data:`MAX_ERRORS` in ``errors`` (and
    ``errorsNotShown``: how many more there are), the first ten in ``detail``."""
    shown = errors[:MAX_ERRORS]
    detail = "; ".join(f"{e.field or '(body)'}: {e.message}" for e in shown[:10])
    if len(errors) > 10:
        detail += f"; and {len(errors) - 10} more"
    extensions: dict[str, Any] = {"errors": [e.model_dump() for e in shown]}
    if len(errors) > MAX_ERRORS:
        extensions["errorsNotShown"] = len(errors) - MAX_ERRORS
    return problem_response(status, kind, title, detail, **extensions)


def bad_request(
    errors: list[FieldError], title: str = "The request is not valid"
) -> func.HttpResponse:
    """400 naming every bad field (capped as :func:`field_problem` caps)."""
    return field_problem(400, "invalid-request", title, errors)


def out_of_scope(errors: list[FieldError]) -> func.HttpResponse:
    """403 naming every resource outside ``ALLOWED_SCOPES`` (capped as :func:`field_problem`
    caps: a request of a thousand images elsewhere names a hundred)."""
    return field_problem(
        403, "out-of-scope", "A resource is outside the scopes this app may touch", errors
    )


def migration_not_found(migration_id: str) -> func.HttpResponse:
    return problem_response(
        404, "not-found", "No such migration", f"There is no migration '{migration_id}'."
    )


def conflict(detail: str, **extensions: Any) -> func.HttpResponse:
    """409: the migration cannot do that now (or a source is held by another migration)."""
    return problem_response(
        409, "conflict", "The migration cannot do that now", detail, **extensions
    )


def misconfigured(detail: str) -> func.HttpResponse:
    """500: the app's own settings are not valid (nothing the caller can fix)."""
    return problem_response(500, "misconfigured", "The app's settings are not valid", detail)


def arm_unavailable(detail: str) -> func.HttpResponse:
    """502: Azure Resource Manager did not answer a read; the caller may try again later."""
    return problem_response(
        502, "arm-error", "Azure Resource Manager did not answer a read", detail
    )
