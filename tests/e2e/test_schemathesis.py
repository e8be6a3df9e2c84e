"""schemathesis against the app on devhost, from the app's own OpenAPI document: no 5xx, no
answer outside the document, schema-violating requests refused, and nothing started or created
for a request that was refused (checked in devhost's instances and the emulator's state log).

Checks left out, and why:
- ``positive_data_acceptance``: a body can fit the document and still be refused, rightly: its
  ids must be plain ARM ids of the right type, its regions the subscription's, its resources
  must exist and be free; JSON Schema cannot say most of that.
- ``unsupported_method``: a method a route does not list gets the Functions host's answer, 404
  without ``Allow`` (docs/devhost.md), not the 405 schemathesis expects.
- ``ignored_auth``: this stack runs devhost without keys (tests/devhost/test_auth.py covers
  enforcing them); in Azure the host refuses a call without a function key.
- ``use_after_free``, ``ensure_resource_availability``: nothing is deleted through the API, and
  a start answers 202 before its status exists (the status is found once Durable has it).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_migration import APP, request
from tests.stack import Stack

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)
# A request the host refuses for its size (413 body, 414 request line) is refused too: the
# defaults' list lacks them.
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "414", "415", "422",
                     "428", "429", "5xx"]
"""
EXAMPLES = 10  # per operation and phase; the whole run takes about 30 s on two cores
SEED = 20261201


def interactions(report: Path) -> list[dict[str, Any]]:
    """Every request schemathesis sent and the answer, with the checks' verdicts."""
    found = []
    for line in report.read_text().splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        for case_id, interaction in recorder.get("interactions", {}).items():
            checks = recorder.get("checks", {}).get(case_id, [])
            found.append({**interaction, "checks": checks})
    return found


def _failures(output: str) -> str:
    """The failures section of schemathesis' output, long lines (its curl commands) cut."""
    section = output.split("= FAILURES =", 1)[-1].split("= WARNINGS =", 1)[0]
    return "\n".join(line[:300] for line in section.splitlines())[:8000]


def body_of(message: dict[str, Any]) -> Any:
    """A recorded request's (``body``) or answer's (``content``) JSON."""
    raw = message.get("content", message.get("body"))
    if isinstance(raw, dict) and "$base64" in raw:
        raw = base64.b64decode(raw["$base64"]).decode()
    elif isinstance(raw, dict) and "string" in raw:
        raw = raw["string"]
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


@pytest.mark.timeout(240)
async def test_schemathesis_finds_nothing(stack: Stack, tmp_path: Path) -> None:
    # A migration waiting for approval, so that decisions can be taken (its id is listed).
    waiting = await stack.start(request(APP, deleteSource="afterApproval"))
    assert (await stack.awaiting_approval(waiting))["awaitingApproval"]
    events_before = len(stack.emulator.events)
    report = tmp_path / "events.ndjson"
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        f"{stack.api}/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--report",
        "ndjson",
        "--report-ndjson-path",
        str(report),
        "--no-color",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, _failures(text)

    seen = interactions(report)
    failed = [c for i in seen for c in i["checks"] if c["status"] != "success"]
    statuses = Counter(i["response"]["status_code"] for i in seen if i.get("response"))
    print(f"schemathesis: {len(seen)} requests, answers {dict(sorted(statuses.items()))}")
    assert failed == []
    assert len(seen) > 500, "schemathesis hardly ran"
    assert not any(status >= 500 for status in statuses)
    assert statuses[400] > 100, "schema-violating requests were sent and refused"

    # Nothing started for a refused request: every migration is one a 202 named.
    accepted = {waiting}
    for interaction in seen:
        answer, sent = interaction.get("response") or {}, interaction["request"]
        path = urlsplit(sent["uri"]).path
        if answer.get("status_code") == 202 and path.endswith("/api/migrations"):
            accepted.add(body_of(answer)["migrationId"])
    started = {i.instance_id for i in stack.host.engine.instances() if i.name == "migrate"}
    assert started == accepted
    # Nothing created for one: every resource the run created is a version (or its definition)
    # of an accepted migration, tagged with its id.
    created = [e for e in stack.emulator.events[events_before:] if e.kind == "created"]
    for event in created:
        resource = stack.emulator.resource(event.resource_id) or {}
        if "/versions/" in event.resource_id:
            tags = {k.lower(): v for k, v in (resource.get("tags") or {}).items()}
            assert any(v in accepted for v in tags.values()), event.resource_id
        else:
            assert "/galleries/" in event.resource_id, event.resource_id
            assert accepted - {waiting}, f"{event.resource_id} created, no start accepted"
