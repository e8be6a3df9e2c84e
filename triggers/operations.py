"""Every operation of the HTTP API, as the OpenAPI document (:mod:`triggers.openapi`) lists it:
its path and method, the models of its body and answers, its query parameters (from the limits
the endpoints apply), the problems it may answer with.

Extension point: a new endpoint is one more :class:`Operation` in :data:`ROUTES` (its JSON
answer a model in :mod:`triggers.schemas`); ``tests/e2e/test_openapi.py`` fails while an HTTP
function of the app is missing here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from migration.domain.state import ImagePhase
from migration.domain.validation import RequestBody
from migration.notify.tokens import DECISION_ROUTE, STATUS_PAGE_ROUTE
from triggers import schemas
from triggers.approvals import DecisionBody
from triggers.cancel import CancelBody
from triggers.decision_page import MAX_FORM_BYTES
from triggers.door import MAX_BODY_BYTES
from triggers.listing import MAX_FILTER
from triggers.migrations import MAX_PLAN_PAGE, PLAN_PAGE
from triggers.status import DEFAULT_LIST, MAX_LIST

JSON = "application/json"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"

_SUB = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups"
# The design's example request, as the document shows it (a test checks it is valid).
START_EXAMPLE: dict[str, Any] = {
    "gallery": f"{_SUB}/gallery-rg/providers/Microsoft.Compute/galleries/gal",
    "images": [
        {
            "source": f"{_SUB}/images-rg/providers/Microsoft.Compute/images/web",
            "definition": {"name": "web", "publisher": "contoso", "offer": "web", "sku": "linux"},
            "version": "1.0.0",
        }
    ],
    "targetRegions": [
        {"name": "eastus", "replicaCount": 1},
        {"name": "westus2", "replicaCount": 2, "storageAccountType": "Standard_ZRS"},
    ],
    "storageAccountType": "Standard_LRS",
    "endOfLifeDate": "2030-12-31",
    "deleteSource": "afterApproval",
    "approvalTimeout": "P3D",
}


DECISION_EXAMPLE = {"by": "ann@contoso.com", "reason": "checked 1.0.0"}

# What the Functions host itself answers, before the app sees the request (no body).
HOST_ANSWERS = {414: "The request line (method, URL, version) is over 8 KB: the host refuses it."}

# The answers every operation with a body may give besides its own (the door's).
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
    media: str = JSON


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    answers: dict[int, Answer]
    body: type[BaseModel] | None = None
    body_required: bool = True
    example: dict[str, Any] | None = None
    # A form body (the decision page's): its media type's schema.
    form: dict[str, Any] | None = None
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
_TOKEN = {
    "name": "token",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "The signed token of an approve or reject link (from a notification).",
}
_PAGE_FROM = _query(
    "from", {"type": "string"}, "The position of the first image shown (digits; 0 if not)."
)
_PAGE_ANSWERS = {
    200: Answer("The page.", media=HTML),
    403: Answer("The link is not valid, or the form could not be checked.", media=HTML),
    404: Answer("Links do not decide here, or the migration is gone.", media=HTML),
    409: Answer("There is nothing left to decide.", media=HTML),
    410: Answer("The link was used, or is for an earlier approval.", media=HTML),
}
_FORM = {
    "type": "object",
    "properties": {
        "csrf": {"type": "string", "description": "The form's token, from the page."},
        "by": {"type": "string", "maxLength": 200},
        "reason": {"type": "string", "maxLength": 2000},
        "scope": {
            "enum": ["all", "chosen"],
            "description": "Every undecided image, or those chosen.",
        },
        "image": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["csrf"],
    "description": f"At most {MAX_FORM_BYTES} bytes.",
}
# What a migration's id leads to.
_BY_ID = ("getMigration", "listImages", "approveMigration", "rejectMigration")


def _decision(verb: str, summary: str) -> Operation:
    """Approving and rejecting: one body, one answer, the same refusals."""
    return Operation(
        "post",
        f"/migrations/{{id}}/{verb}",
        f"{verb}Migration",
        summary,
        {202: Answer("Recorded.", schemas.DecisionAnswer)},
        body=DecisionBody,
        example=DECISION_EXAMPLE,
        parameters=(_ID,),
        problems=_DECISION_PROBLEMS,
    )


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
            _query(
                "gallery",
                {"type": "string", "maxLength": MAX_FILTER},
                "Only migrations into this gallery (an id, or a name).",
            ),
            _query(
                "source",
                {"type": "string", "maxLength": MAX_FILTER},
                "Only migrations of this managed image (an id or a name; selected by scope too).",
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
        example=START_EXAMPLE,
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
        example=START_EXAMPLE,
        parameters=(
            _query(
                "top",
                {"type": "integer", "minimum": 1, "maximum": MAX_PLAN_PAGE, "default": PLAN_PAGE},
                "With scopes: how many selected images one page plans.",
            ),
            _query(
                "continuationToken",
                {"type": "string"},
                "With scopes: the page to plan, a previous answer's continuationToken.",
            ),
        ),
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
                {"type": "string", "pattern": "^[0-9]{1,9}[.][0-9]{1,9}$"},
                "Where the page starts: a previous page's continuationToken.",
            ),
        ),
        problems={400: "A query parameter is not valid: each is named.", **_NOT_FOUND},
    ),
    _decision("approve", "Approve deleting the sources (all undecided images, or those named)"),
    _decision(
        "reject",
        "Reject deleting the sources (all undecided images, or those named): they are kept",
    ),
    Operation(
        "post",
        "/migrations/{id}/cancel",
        "cancelMigration",
        "End a migration and all it started, and give its sources back (deletes nothing)",
        {202: Answer("Cancelled.", schemas.CancelAnswer, {"Location": "statusUri."})},
        body=CancelBody,
        body_required=False,
        parameters=(_ID,),
        problems={
            **_BODY_PROBLEMS,
            **_NOT_FOUND,
            409: "The migration has ended: there is nothing to cancel.",
        },
    ),
    Operation(
        "get",
        "/" + STATUS_PAGE_ROUTE,
        "getMigrationPage",
        "A migration's live status as a page (read-only)",
        {
            200: Answer("The page.", media=HTML),
            404: Answer("There is no migration with this id.", media=HTML),
        },
        parameters=(_ID, _PAGE_FROM),
    ),
    Operation(
        "get",
        "/" + DECISION_ROUTE,
        "getDecisionPage",
        "The page behind a signed approve or reject link: the migration, and the form",
        _PAGE_ANSWERS,
        parameters=(_TOKEN, _PAGE_FROM),
        anonymous=True,
    ),
    Operation(
        "post",
        "/" + DECISION_ROUTE,
        "postDecision",
        "Decide through the page's form (its token and cookie guard it)",
        {
            **_PAGE_ANSWERS,
            400: Answer("The form is not valid: the page says why.", media=HTML),
            503: Answer("Sent, but not seen recorded in time.", media=HTML),
        },
        form={**_FORM, "maxProperties": 5},
        parameters=(_TOKEN, _PAGE_FROM),
        anonymous=True,
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
