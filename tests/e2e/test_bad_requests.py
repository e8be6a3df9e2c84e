"""The corpus of bad requests (tests/data/bad-requests.json), each sent through the HTTP API:
a 4xx problem answer naming each bad field, bounded in size, and nothing started or created.

A case whose endpoint holds ``{id}`` (approve, reject, cancel) is sent to a migration that waits
for its approval: refused, it must decide nothing, end nothing and write nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator import EmulatorConfig, FaultConfig
from emulator.regions import REGIONS
from migration.arm.locations import clear_location_cache
from migration.domain.body import RequestInvalid
from migration.domain.validation import parse_request
from tests.e2e.test_migration import WEB, request
from tests.migration.factories import limits
from tests.stack import Stack

CORPUS = json.loads((Path(__file__).parents[1] / "data" / "bad-requests.json").read_text())
PROBLEM = "application/problem+json"


def raw_body(case: dict[str, Any]) -> bytes:
    if "rawParts" in case:
        return "".join(text * times for text, times in case["rawParts"]).encode()
    if "raw" in case:
        return str(case["raw"]).encode()
    body = case["body"]
    if "bulkImages" in case:
        source = case.get("bulkSource", "bad-{n}")
        images = [{"source": source.format(n=n)} for n in range(case["bulkImages"])]
        body = {**body, "images": images}
    return json.dumps(body).encode()


def arm_writes(stack: Stack) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in stack.emulator.request_log
        if r.method in {"PUT", "PATCH", "DELETE"}
    ]


def instances(stack: Stack) -> set[tuple[str, str, int]]:
    """Every instance with its status and how much history it has: a decision or a cancel
    taken would change one of them."""
    return {(i.instance_id, str(i.status), i.history_length) for i in stack.host.engine.instances()}


@pytest.mark.parametrize(
    ("case", "app_settings"),
    [(c, c.get("settings", {})) for c in CORPUS],
    ids=[c["name"] for c in CORPUS],
)
async def test_a_bad_request_is_refused_before_anything_starts(
    stack: Stack, case: dict[str, Any]
) -> None:
    endpoint = case["endpoint"]
    if "{id}" in endpoint:
        migration_id = await stack.start(request(WEB, deleteSource="afterApproval"))
        waiting = await stack.awaiting_approval(migration_id)
        assert waiting["awaitingApproval"], waiting
        endpoint = endpoint.format(id=migration_id)
    await stack.host.run_until_idle()
    before, written = instances(stack), arm_writes(stack)
    if "{id}" not in case["endpoint"]:
        assert before == set()
    headers = {"Content-Type": case.get("contentType", "application/json")}
    if not headers["Content-Type"]:
        headers = {}
    url = f"{stack.api}/{endpoint}"
    async with stack.http.post(url, data=raw_body(case), headers=headers) as response:
        text = await response.read()
        status, kind = response.status, response.content_type
    assert status == case["status"], text[:500]
    assert kind == PROBLEM
    assert len(text) <= case.get("maxAnswerBytes", 16384)
    answer = json.loads(text)
    errors = answer.get("errors", [])
    assert set(case["fields"]) <= {e["field"] for e in errors}, answer
    if "errorsShown" in case:
        assert len(errors) == case["errorsShown"]
        assert answer["errorsNotShown"] == case["errorsNotShown"]
    # Nothing started, decided or ended (whatever the host runs now), nothing written to ARM.
    await stack.host.run_until_idle()
    assert instances(stack) == before
    assert arm_writes(stack) == written
    if "{id}" in case["endpoint"]:
        after = await stack.status(migration_id)
        assert after["runtimeStatus"] == "Running"
        assert after["approval"] == waiting["approval"]


@pytest.mark.parametrize(
    "case",
    [c for c in CORPUS if c["status"] == 400 and c["endpoint"] == "migrations"],
    ids=lambda c: c["name"],
)
def test_the_validator_alone_refuses_the_same(case: dict[str, Any]) -> None:
    # ARM's locations list as the emulator serves it: its physical regions.
    with pytest.raises(RequestInvalid) as caught:
        parse_request(raw_body(case), limits(regions=lambda _: frozenset(REGIONS)))
    assert set(case["fields"]) <= {e.field for e in caught.value.errors}


async def test_a_listing_query_with_bad_values_is_a_400(stack: Stack) -> None:
    async with stack.http.get(f"{stack.api}/migrations?top=yes&runtimeStatus=Sleeping") as r:
        assert r.status == 400
        fields = {e["field"] for e in (await r.json(content_type=None))["errors"]}
    assert fields == {"top", "runtimeStatus"}


async def test_an_approvers_name_with_control_characters_is_refused(stack: Stack) -> None:
    migration_id = await stack.start(request(WEB, deleteSource="afterApproval"))
    assert (await stack.awaiting_approval(migration_id))["awaitingApproval"]
    forged = {"by": "ann\n2026-01-01 INFO migration approved by root"}
    answer = await stack.call("POST", f"migrations/{migration_id}/approve", forged)
    assert answer.status == 400
    assert {e["field"] for e in answer.body["errors"]} == {"by"}
    assert (await stack.status(migration_id))["approval"].get("decision") is None
    answer = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ann"})
    assert answer.status == 202


@pytest.mark.parametrize(
    "emulator_config",
    [
        EmulatorConfig(
            faults=FaultConfig(error_rate=1.0, error_operations=("subscriptions.list_locations",))
        )
    ],
)
async def test_when_arm_cannot_list_the_regions_nothing_starts(stack: Stack) -> None:
    clear_location_cache()
    body = request(WEB, deleteSource="never", targetRegions=[{"name": "westus2"}])
    for endpoint in ("migrations", "migrations/plan"):
        answer = await stack.call("POST", endpoint, body)
        assert answer.status == 502, answer.body
        assert answer.content_type == PROBLEM
        assert "regions failed" in answer.body["detail"]
    assert stack.host.engine.instances() == []


@pytest.mark.parametrize(
    "query", ["runtimeStatus=", "runtimeStatus=Running,", "runtimeStatus=%20Running"]
)
async def test_a_status_filter_is_exactly_a_list_of_statuses(stack: Stack, query: str) -> None:
    # Found by schemathesis: empty items (and padded ones) passed as "no filter".
    async with stack.http.get(f"{stack.api}/migrations?{query}") as r:
        assert r.status == 400
        assert {e["field"] for e in (await r.json(content_type=None))["errors"]} == {
            "runtimeStatus"
        }
    async with stack.http.get(f"{stack.api}/migrations?runtimeStatus=Running,Pending") as r:
        assert r.status == 200


async def test_a_phase_filter_and_a_page_token_are_exactly_what_the_api_gives(stack: Stack) -> None:
    migration_id = await stack.start(request(WEB, deleteSource="never"))
    cases = (
        ("phase=", 400),
        ("phase=replicating,", 400),
        ("phase=planned", 200),
        ("continuationToken=3", 400),
        ("continuationToken=0.-1", 400),
        ("continuationToken=0.0", 200),
    )
    for query, status in cases:
        answer = await stack.call("GET", f"migrations/{migration_id}/images?{query}")
        assert answer.status == status, (query, answer.body)
    await stack.finish(migration_id)
