"""``start_version`` and ``get_versions`` (activities/versions.py) run twice, in a row and at
once, leave ARM as one run does and answer equivalently."""

from __future__ import annotations

from typing import Any

import pytest

from activities import versions
from emulator import EmulatorConfig, FaultConfig
from emulator.testing import RunningEmulator
from migration.domain.facts import VersionFacts
from tests.activities.arm_runs import run_three_ways, user_function
from tests.activities.estate import GALLERY, planned_version

START = user_function(versions.start_version)
GET = user_function(versions.get_versions)


def same_version(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Both started (or found) the one version, from the one source, to the same regions."""
    if not (a["ok"] and b["ok"]):
        return False
    first, second = VersionFacts.from_json(a["value"]), VersionFacts.from_json(b["value"])

    def key(v: VersionFacts) -> tuple[str, str, str, list[tuple[str, int]]]:
        regions = sorted((r.name, r.replicas) for r in v.target_regions)
        return (v.definition, v.name, v.source.lower(), regions)

    return key(first) == key(second)


def test_a_version_is_started_once(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = run_three_ways(monkeypatch, START, planned_version, lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes(same_version)
    created = [k for k in runs.states["once"].changes if k[0] == "created" and "/versions/" in k[1]]
    assert len(created) == 1, created
    # One replication per target region, however many times the PUT was sent.
    replicating = [k for k in runs.states["once"].changes if k[0] == "replicating"]
    assert len(replicating) == 2


def test_a_version_started_under_cache_lag_and_faults_is_started_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = EmulatorConfig(faults=FaultConfig(cache_lag_requests=1, seed=3))
    runs = run_three_ways(monkeypatch, START, planned_version, lambda payload: payload, config)
    runs.assert_same_state()
    for outcomes in runs.outcomes.values():
        for outcome in outcomes:
            # Started, or "the definition is not visible yet" (the orchestration retries it).
            assert outcome["ok"] or outcome["retryAfter"] is not None, outcome


def test_reading_versions_twice_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def seed(arm: RunningEmulator) -> dict[str, Any]:
        payload = planned_version(arm)
        START(payload)
        arm.advance(300)  # part-way through replication
        return {"gallery": GALLERY, "versions": [{"definition": "web", "version": "1.0.0"}]}

    runs = run_three_ways(monkeypatch, GET, seed, lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes()
    (read,) = runs.once["value"]
    assert read["ok"]
    assert read["value"]["provisioningState"] == "Creating"
