"""The benchmark still runs and reports (figures are measured by `make bench`, not asserted)."""

from __future__ import annotations

import json

import pytest

from bench.__main__ import main


def test_a_small_scenario_ends_with_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "1 image"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    (only,) = figures["scenarios"]
    assert (only["scenario"], only["images"], only["migrated"]) == ("1 image", 1, 1)
    assert only["unsafe_deletes"] == 0
    assert only["version_polls"] > 0


def test_a_version_is_seen_after_it_succeeded(capsys: pytest.CaptureFixture[str]) -> None:
    """Its end is its first success: the re-PUT that blocks its deletion, just before its
    source is deleted hours later, is not (counted so, every detection came out negative)."""
    assert main(["--only", "10 images"]) == 0
    (only,) = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["scenarios"]
    assert 0 <= only["detect_min_mean"] <= only["detect_min_max"] < 30
