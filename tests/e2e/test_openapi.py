"""The OpenAPI document: served, equal to docs/openapi.json, naming every HTTP function, and
describing what the API really answers over a whole migration (every answer of the run is
validated against it)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

import function_app
from emulator.regions import REGIONS
from migration.domain.validation import parse_request
from tests.e2e.test_migration import APP, WEB, request
from tests.migration.factories import limits
from tests.stack import Answer, Stack
from triggers.approvals import DecisionBody
from triggers.openapi import document, document_text
from triggers.operations import DECISION_EXAMPLE, START_EXAMPLE

COMMITTED = Path(__file__).parents[2] / "docs" / "openapi.json"


def test_the_committed_document_is_the_generated_one() -> None:
    assert COMMITTED.read_text() == document_text(), "run `make openapi` and commit the result"


@functools.cache
def http_functions() -> dict[str, Any]:
    """The app's HTTP functions' triggers by name (``get_functions`` may run once per app)."""
    found = {}
    for function in function_app.app.get_functions():
        if function.get_trigger().type == "httpTrigger":
            found[function.get_function_name()] = function.get_trigger()
    return found


def test_every_http_function_is_described_once() -> None:
    routes = set()
    for trigger in http_functions().values():
        for method in trigger.methods:
            routes.add((str(method.value).lower(), "/" + trigger.route))
    paths = document()["paths"]
    described = {(method, path) for path, ops in paths.items() for method in ops}
    assert described == routes
    ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_security_follows_each_function_s_auth_level() -> None:
    paths = document()["paths"]
    anonymous = set()
    for trigger in http_functions().values():
        level = str(trigger.auth_level.value)
        assert level in {"anonymous", "function"}, trigger.route
        for method in trigger.methods:
            operation = paths["/" + trigger.route][str(method.value).lower()]
            assert (operation.get("security") == []) == (level == "anonymous"), trigger.route
            if level == "anonymous":
                anonymous.add("/" + trigger.route)
    # The document itself, and the decision page its signed token guards.
    assert anonymous == {"/openapi.json", "/approvals/{token}"}


class Described:
    """Checks answers against the document: status documented, content type and body too."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.seen: set[tuple[str, str, int]] = set()

    def check(self, method: str, path: str, answer: Answer) -> None:
        operation = self.doc["paths"][path][method]
        described = operation["responses"].get(str(answer.status))
        assert described is not None, f"{method} {path}: {answer.status} is not described"
        (content_type, media), *_ = described["content"].items()
        assert answer.content_type == content_type, (method, path, answer.status)
        schema = {**media["schema"], "components": self.doc["components"]}
        validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
        errors = [e.message for e in validator.iter_errors(answer.body)]
        assert errors == [], (method, path, answer.status, errors[:5])
        for name in described.get("headers", {}):
            assert name in answer.headers, (method, path, name)
        self.seen.add((method, path, answer.status))


async def test_every_answer_of_a_migration_is_as_described(stack: Stack) -> None:
    served = await stack.call("GET", "openapi.json")
    assert served.status == 200
    assert served.body == json.loads(document_text())
    doc = Described(served.body)
    body = request(WEB, APP, deleteSource="afterApproval")

    doc.check("post", "/migrations/plan", await stack.call("POST", "migrations/plan", body))
    started = await stack.call("POST", "migrations", body)
    doc.check("post", "/migrations", started)
    migration_id = started.body["migrationId"]
    doc.check("post", "/migrations", await stack.call("POST", "migrations", body))  # 409
    doc.check("get", "/migrations/{id}", await stack.call("GET", f"migrations/{migration_id}"))
    early = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ann"})
    doc.check("post", "/migrations/{id}/approve", early)  # 409: not replicated yet
    await stack.awaiting_approval(migration_id)
    doc.check("get", "/migrations/{id}", await stack.call("GET", f"migrations/{migration_id}"))
    page = await stack.call("GET", f"migrations/{migration_id}/images?top=1")
    doc.check("get", "/migrations/{id}/images", page)
    assert page.body["nextUri"]
    doc.check(
        "get",
        "/migrations/{id}/images",
        await stack.call("GET", page.body["nextUri"].split("/api/", 1)[1]),
    )
    named = {"by": "ann", "reason": "checked", "images": [WEB]}
    doc.check(
        "post",
        "/migrations/{id}/reject",
        await stack.call("POST", f"migrations/{migration_id}/reject", named),
    )
    doc.check(
        "post",
        "/migrations/{id}/approve",
        await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "bob"}),
    )
    await stack.finish(migration_id)
    doc.check("get", "/migrations/{id}", await stack.call("GET", f"migrations/{migration_id}"))
    doc.check("get", "/migrations", await stack.call("GET", "migrations?top=5"))

    # Pages, and a cancel.
    page = await stack.call("GET", f"migrations/{migration_id}/page")
    doc.check("get", "/migrations/{id}/page", page)
    doc.check("get", "/migrations/{id}/page", await stack.call("GET", "migrations/mig-nope/page"))
    doc.check("get", "/approvals/{token}", await stack.call("GET", "approvals/not-a-token"))
    again = await stack.start(request(WEB, deleteSource="never"))
    cancelled = await stack.call("POST", f"migrations/{again}/cancel", {"by": "ann"})
    assert cancelled.status == 202, cancelled.body
    doc.check("post", "/migrations/{id}/cancel", cancelled)
    await stack.until(lambda s: s["runtimeStatus"] == "Terminated", again)
    doc.check(
        "post", "/migrations/{id}/cancel", await stack.call("POST", f"migrations/{again}/cancel")
    )
    doc.check(
        "post", "/migrations/{id}/cancel", await stack.call("POST", "migrations/mig-nope/cancel")
    )

    # The refusals.
    doc.check("get", "/migrations/{id}", await stack.call("GET", "migrations/mig-nope"))
    doc.check(
        "get", "/migrations/{id}/images", await stack.call("GET", "migrations/mig-nope/images")
    )
    doc.check("get", "/migrations", await stack.call("GET", "migrations?top=0"))
    doc.check(
        "get",
        "/migrations/{id}/images",
        await stack.call("GET", f"migrations/{migration_id}/images?phase=lost"),
    )
    doc.check("post", "/migrations", await stack.call("POST", "migrations", {"gallery": 1}))
    doc.check(
        "post", "/migrations", await stack.call("POST", "migrations", raw=b" " * (2 * 1024 * 1024))
    )
    doc.check(
        "post",
        "/migrations/{id}/approve",
        await stack.call("POST", "migrations/mig-nope/approve", {"by": "ann"}),
    )
    doc.check(
        "post",
        "/migrations/{id}/approve",
        await stack.call("POST", f"migrations/{migration_id}/approve", {"by": 7}),
    )
    async with stack.http.post(f"{stack.api}/migrations/plan", data=b"x") as r:
        answer = Answer(r.status, await r.json(content_type=None), dict(r.headers), r.content_type)
    doc.check("post", "/migrations/plan", answer)  # 415

    statuses = {(m, p, s) for m, p, s in doc.seen}
    assert {s for _, _, s in statuses} >= {200, 202, 400, 404, 409, 413, 415}


def test_the_examples_are_requests_the_door_takes() -> None:
    start = parse_request(START_EXAMPLE, limits(regions=lambda _: frozenset(REGIONS)))
    assert start.images[0].version == "1.0.0"
    assert DecisionBody.model_validate(DECISION_EXAMPLE).by == DECISION_EXAMPLE["by"]
    body = document()["paths"]["/migrations"]["post"]["requestBody"]["content"]["application/json"]
    assert body["example"] == START_EXAMPLE


@pytest.mark.parametrize(
    "model_name", ["MigrationView", "MigrationSummary", "Started", "PlanAnswer", "Problem"]
)
def test_answer_models_forbid_keys_they_do_not_name(model_name: str) -> None:
    schema = document()["components"]["schemas"][model_name]
    assert schema["additionalProperties"] is False
