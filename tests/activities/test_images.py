"""``inspect_image`` and ``delete_source`` (activities/images.py) run twice, in a row and at
once, leave ARM as one run does: an image is deleted once, or kept alike, and never early."""

from __future__ import annotations

from typing import Any

import pytest

from activities import images, versions
from emulator import DeniedAction, FaultConfig
from emulator.testing import RunningEmulator
from tests.activities.arm_runs import run_three_ways, user_function
from tests.activities.estate import GALLERY, WEB, planned_version

INSPECT = user_function(images.inspect_image)
DELETE = user_function(images.delete_source)
START = user_function(versions.start_version)
# Long enough for the version's every region to complete.
REPLICATED = 4 * 3600


def replicated(
    *,
    advance: float = REPLICATED,
    in_use: bool = False,
    block: bool = False,
    faults: FaultConfig | None = None,
) -> Any:
    """A seed step: the version started (and replicated for ``advance`` seconds), then
    ``faults`` in force for the activity."""

    def seed(arm: RunningEmulator) -> dict[str, Any]:
        START(planned_version(arm))
        if in_use:
            arm.emulator.seed_scale_set(
                WEB.replace("/images/web", "/virtualMachineScaleSets/web-vmss"), image_id=WEB
            )
        arm.advance(advance)
        if faults is not None:
            arm.emulator.configure_faults(faults)
        return {
            "source": WEB,
            "gallery": GALLERY,
            "definition": "web",
            "version": "1.0.0",
            "deleteInUse": False,
            "blockVersion": block,
        }

    return seed


def going(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Accepted ("deleting") and already gone ("gone") both say the image is going."""
    return bool(a["ok"] and b["ok"]) and {a["value"], b["value"]} <= {"deleting", "gone"}


def same_failure(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def gist(outcome: dict[str, Any]) -> Any:
        error = outcome["error"] or {}
        return (outcome["ok"], error.get("code"), error.get("status"), outcome["retryAfter"])

    return bool(gist(a) == gist(b))


def kinds(runs: Any, kind: str) -> list[Any]:
    return [k for k, n in runs.states["once"].changes.items() for _ in range(n) if k[0] == kind]


def test_a_replicated_source_is_deleted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = run_three_ways(monkeypatch, DELETE, replicated(), lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes(going)
    assert runs.states["once"].resources[WEB.lower()] is None
    assert kinds(runs, "deleting") == [("deleting", WEB.lower(), None)]


def test_blocking_the_version_before_the_delete_writes_it_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = run_three_ways(monkeypatch, DELETE, replicated(block=True), lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes(going)
    version = runs.states["once"].resources[f"{GALLERY}/images/web/versions/1.0.0".lower()]
    assert version["properties"]["safetyProfile"]["blockDeletionBeforeEndOfLife"] is True
    assert len(kinds(runs, "updated")) == 1


def test_a_source_still_replicating_is_kept_by_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = run_three_ways(monkeypatch, DELETE, replicated(advance=60), lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes()
    assert runs.once["error"]["code"] == "NotSafeToDelete"
    assert runs.states["once"].resources[WEB.lower()] is not None


def test_a_source_a_scale_set_uses_is_kept_by_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = run_three_ways(monkeypatch, DELETE, replicated(in_use=True), lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes()
    assert runs.once["error"]["code"] == "SourceInUse"
    assert not kinds(runs, "deleting")


# The scale-set listing refused (the role lacks the action) or failing (ARM's 500s).
DENIED = FaultConfig(
    denied_actions=(DeniedAction(action="Microsoft.Compute/virtualMachineScaleSets/read"),)
)
FAILING = FaultConfig(
    error_rate=1.0,
    error_statuses=(500,),
    error_operations=("virtual_machine_scale_sets.list_all",),
)


def test_a_source_whose_scale_sets_cannot_be_listed_is_kept_by_every_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """403 on the listing: nobody can tell whether a scale set still needs the image, so it
    stays, and the version is not blocked either (nothing was deleted)."""
    seed = replicated(block=True, faults=DENIED)
    runs = run_three_ways(monkeypatch, DELETE, seed, lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes()
    assert runs.once["error"]["code"] == "SourceUseUnknown"
    assert "could not tell whether a scale set uses it" in runs.once["error"]["message"]
    assert "AuthorizationFailed" in runs.once["error"]["message"]
    assert runs.once["retryAfter"] is None, "a refusal does not pass: no retry"
    assert runs.states["once"].resources[WEB.lower()] is not None
    assert not kinds(runs, "deleting")
    version = runs.states["once"].resources[f"{GALLERY}/images/web/versions/1.0.0".lower()]
    assert version["properties"]["safetyProfile"]["blockDeletionBeforeEndOfLife"] is False


def test_a_source_whose_scale_set_listing_fails_is_kept_for_a_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ARM's 500s on the listing pass: the activity keeps the image and asks to be run again
    later (the orchestration keeps the source once its retries are spent)."""
    runs = run_three_ways(monkeypatch, DELETE, replicated(faults=FAILING), lambda payload: payload)
    runs.assert_same_state()
    runs.assert_outcomes(same_failure)  # each 500 has its own tracking id
    assert not runs.once["ok"]
    assert runs.once["error"]["status"] == 500
    assert runs.once["retryAfter"] is not None
    assert runs.states["once"].resources[WEB.lower()] is not None
    assert not kinds(runs, "deleting")


def test_inspecting_an_image_twice_reads_only(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = run_three_ways(monkeypatch, INSPECT, replicated(advance=0), lambda payload: WEB)
    runs.assert_same_state()
    runs.assert_outcomes()
    assert runs.once["ok"]
    assert runs.once["value"]["exists"]
