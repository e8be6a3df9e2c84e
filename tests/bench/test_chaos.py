"""A small chaos run in the suite: a few migrations on devhost as a separate process, killed
with SIGKILL at least once and started again on its state, with every round checked."""

from __future__ import annotations

import json

import pytest

from bench.chaos.__main__ import main


@pytest.mark.timeout(180)
def test_a_small_chaos_run_ends_clean_with_a_kill(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--migrations",
            "6",
            "--per-round",
            "3",
            "--seed",
            "4",
            "--kill-share",
            "1",
            "--min-kills",
            "1",
        ]
    )
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert code == 0, out
    assert figures["violations"] == 0
    assert figures["kills"] >= 1
    assert figures["migrations"] >= 6
    assert set(figures) >= {
        "rounds",
        "migrations",
        "faults_injected",
        "kills",
        "violations",
        "wall_s",
    }
