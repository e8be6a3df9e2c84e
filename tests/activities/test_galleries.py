"""``inspect_request`` and ``ensure_definition`` (activities/galleries.py) run twice, in a row
and at once, leave ARM as one run does and answer the same."""

from __future__ import annotations

from typing import Any

import pytest

from activities import galleries
from emulator import EmulatorConfig, FaultConfig
from emulator.testing import RunningEmulator
from migration.arm import galleries as arm_galleries
from migration.config.settings import Settings
from migration.domain.definitions import DefinitionPlan
from migration.domain.validation import RequestLimits, parse_request
from tests.activities.arm_runs import run_three_ways, user_function
from tests.activities.estate import APP, GALLERY, WEB, plan_for, request_body, seed_estate

INSPECT = user_function(galleries.inspect_request)
ENSURE = user_function(galleries.ensure_definition)
READY = {"created", "reused"}


def definition_payload(arm: RunningEmulator, source: str = WEB) -> dict[str, Any]:
    plan = plan_for(arm, source)
    (definition,) = plan.definitions_to_create
    return {"gallery": GALLERY, "definition": definition.to_json(), "location": "eastus"}


def test_inspecting_twice_reads_only_and_answers_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    def seed(arm: RunningEmulator) -> dict[str, Any]:
        seed_estate(arm)
        request = parse_request(request_body(WEB, APP), _limits(arm))
        return {"request": request.to_json(), "known": None}

    runs = run_three_ways(monkeypatch, INSPECT, seed, lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes()
    assert runs.once["ok"], runs.once
    assert set(runs.once["value"]["images"]) == {WEB.lower(), APP.lower()}


def test_a_new_definition_is_created_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def seed(arm: RunningEmulator) -> dict[str, Any]:
        seed_estate(arm)
        return definition_payload(arm)

    runs = run_three_ways(monkeypatch, ENSURE, seed, lambda payload: payload)
    runs.assert_same_state()
    # The second run finds what the first made: "reused" and "created" both mean it is there.
    runs.assert_outcomes(lambda a, b: a["ok"] and b["ok"] and {a["value"], b["value"]} <= READY)
    assert runs.once["value"] == "created"
    created = [k for k in runs.states["once"].changes if k[0] == "created"]
    assert ("created", f"{GALLERY}/images/web".lower(), None) in created


def test_a_definition_made_under_cache_lag_is_created_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The second run's read of a definition the first just made can miss it (ARM's cache):
    it must not create another, and must not fail."""
    config = EmulatorConfig(faults=FaultConfig(cache_lag_requests=2))

    def seed(arm: RunningEmulator) -> dict[str, Any]:
        seed_estate(arm)
        return definition_payload(arm)

    runs = run_three_ways(monkeypatch, ENSURE, seed, lambda payload: payload, config)
    runs.assert_same_state()
    for outcomes in runs.outcomes.values():
        for outcome in outcomes:
            # Ready, or "not visible yet, come back later" (the orchestration retries it).
            assert outcome["ok"] or outcome["error"]["code"] == "ResourceNotFound", outcome


def test_an_incompatible_definition_is_refused_alike_and_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def seed(arm: RunningEmulator) -> dict[str, Any]:
        seed_estate(arm)
        payload = definition_payload(arm, WEB)
        # Someone made a Windows definition of that name since the plan was made.
        windows = definition_payload(arm, APP)["definition"]
        windows["name"] = payload["definition"]["name"]
        windows["identifier"] = payload["definition"]["identifier"]
        arm_galleries.ensure_definition(GALLERY, _plan(windows), "eastus")
        return payload

    runs = run_three_ways(monkeypatch, ENSURE, seed, lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes()
    assert runs.once["error"]["code"] == "DefinitionIncompatible"


def _plan(definition: dict[str, Any]) -> DefinitionPlan:
    return DefinitionPlan.from_json(definition)


def _limits(arm: RunningEmulator) -> RequestLimits:
    return Settings().request_limits(arm.clock.now())
