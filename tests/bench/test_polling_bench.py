"""bench/polling.py still runs and reports, on the smallest case (figures are measured by the
full run, not asserted: here only that each mode behaves as its name says)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from bench import polling
from migration.domain import selection


def test_a_small_run_ends_with_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    modes = ",".join([polling.FIXED, polling.SCHEDULE, polling.EVENTS, polling.LOST])
    argv = ["--profiles", "linear", "--lengths", "5 min", "--modes", modes]
    assert polling.main([*argv, "--images", "2", "--jobs", "1"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["bench"] == "polling"
    cells = {c["mode"]: c for c in line["cells"]}
    assert set(cells) == {polling.FIXED, polling.SCHEDULE, polling.EVENTS, polling.LOST}
    assert all(c["versions"] == 2 for c in cells.values())
    # Five minutes polled every 30 s: about eleven reads; the schedule fewer, events fewest.
    assert 10 <= cells[polling.FIXED]["reads"] <= 12
    assert cells[polling.EVENTS]["reads"] < cells[polling.SCHEDULE]["reads"]
    assert cells[polling.SCHEDULE]["reads"] < cells[polling.FIXED]["reads"]
    assert cells[polling.EVENTS]["lag_median_s"] < 10
    # Lost events change nothing: the same reads as no events at all.
    assert cells[polling.LOST]["reads"] == cells[polling.SCHEDULE]["reads"]
    # Ratios are about 30 minutes and more, none of which ran.
    assert line["gets_ratio"] is None


def test_every_batch_of_a_length_is_measured(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A length of more images than a batch holds runs in several batches, each with its own
    # watcher: every version's lag counts, not only the first batch's.
    monkeypatch.setattr(selection, "BATCH_SIZE", 1)
    argv = ["--profiles", "linear", "--lengths", "5 min", "--modes", polling.FIXED]
    assert polling.main([*argv, "--images", "2", "--jobs", "1"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [c["versions"] for c in line["cells"]] == [2]


def test_the_makefiles_runs_are_valid_choices() -> None:
    # `make bench-polling-short` names lengths and modes by label: a renamed one would fail
    # only after a full run's setup, so the Makefile's own arguments are checked here.
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    line = next(x for x in makefile.splitlines() if "bench.polling --lengths" in x)
    run = polling.choose(shlex.split(line.split("bench.polling", 1)[1]))
    assert run.lengths == {"30 min": 1800, "1 h": 3600}
    assert run.modes == [polling.FIXED, polling.SCHEDULE, polling.LOST]
    assert run.images == 100
    assert run.profiles == list(polling.PROFILES)


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--modes", "fixed"], "--modes: unknown ['fixed']"),
        (["--lengths", "30 min,2 h"], "--lengths: unknown ['2 h']"),
        (["--profiles", "linear,jumpy"], "--profiles: unknown ['jumpy']"),
        (["--images", "0"], "--images and --jobs must be at least 1"),
    ],
)
def test_an_unknown_choice_is_refused_by_name(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        polling.choose(argv)
    assert exit_.value.code == 2
    assert named in capsys.readouterr().err
