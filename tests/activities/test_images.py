"""``inspect_image`` and ``delete_source`` (activities/images.py) run twice, in a row and at
once, leave ARM as one run does: an image is deleted once, or kept alike, and never early."""

from __future__ import annotations

from typing import Any

import pytest

from activities import images, versions
from emulator.testing import RunningEmulator
from tests.activities.arm_runs import run_three_ways, user_function
from tests.activities.estate import GALLERY, WEB, planned_version

INSPECT = user_function(images.inspect_image)
DELETE = user_function(images.delete_source)
START = user_function(versions.start_version)
# Long enough for the version's every region to complete.
REPLICATED = 4 * 3600


def replicated(*, advance: float = REPLICATED, in_use: bool = False, block: bool = False) -> Any:
    """A seed step: the version started (and replicated for ``advance`` seconds)."""

    def seed(arm: RunningEmulator) -> dict[str, Any]:
        START(planned_version(arm))
        if in_use:
            arm.emulator.seed_scale_set(
                WEB.replace("/images/web", "/virtualMachineScaleSets/web-vmss"), image_id=WEB
            )
        arm.advance(advance)
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


def test_inspecting_an_image_twice_reads_only(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = run_three_ways(monkeypatch, INSPECT, replicated(advance=0), lambda payload: WEB)
    runs.assert_same_state()
    runs.assert_outcomes()
    assert runs.once["ok"]
    assert runs.once["value"]["exists"]
