"""The estate benchmark still runs and reports every figure the README shows (its figures are
measured by `make bench-bulk`, not asserted here)."""

from __future__ import annotations

import json

import pytest

from bench.bulk import main

FIGURES = {
    "images",
    "failed",
    "throttled_responses",
    "max_history_events",
    "orchestrator_cpu_s",
    "orchestrator_cpu_s_per_image",
    "wall_to_ideal",
}


@pytest.mark.timeout(600)
def test_a_small_estate_ends_with_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--images", "12", "--reference", "0"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert figures["bench"] == "bulk"
    assert set(figures) >= FIGURES
    assert (figures["images"], figures["failed"], figures["unsafe_deletes"]) == (12, 0, 0)
    # Simulated time can only match the ideal or exceed it.
    assert figures["wall_to_ideal"] >= 1.0
    assert figures["max_history_events"] > 0
    assert any("longest history" in line for line in out)
