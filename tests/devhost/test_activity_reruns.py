"""Activities re-run on purpose (``activity_rerun_rate``): the first result is dropped, the
activity runs again at once, and the orchestration sees only the second run's result."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devhost.cli import parse_args
from devhost.testing import running_host
from tests.devhost.conftest import APPS, start, status


def counting_hello(calls: dict[str, int]) -> Callable[[str], str]:
    def hello(name: str) -> str:
        calls[name] = calls.get(name, 0) + 1
        return f"{name} run {calls[name]}"

    return hello


async def test_every_activity_runs_twice_at_rate_one() -> None:
    calls: dict[str, int] = {}
    overrides = {"hello": counting_hello(calls)}
    async with running_host(
        APPS / "patterns", function_overrides=overrides, activity_rerun_rate=1.0
    ) as app:
        started = await start(app, "chain")
        final = await app.wait_for_status(started["statusQueryGetUri"])
        _, history = await status(app, started["id"], "?showHistory=true")
    assert final["output"] == ["Tokyo run 2", "Seattle run 2", "London run 2"]
    assert calls == {"Tokyo": 2, "Seattle": 2, "London": 2}
    # One completion per activity reaches the history: the dropped result never does.
    kinds = [event["EventType"] for event in history["historyEvents"]]
    assert kinds.count("TaskCompleted") == 3


async def test_a_partial_rate_reruns_some_activities_and_the_same_ones_again() -> None:
    runs: list[dict[str, int]] = []
    for _ in range(2):
        calls: dict[str, int] = {}

        def double(number: int, calls: dict[str, int] = calls) -> int:
            calls[str(number)] = calls.get(str(number), 0) + 1
            return number * 2

        async with running_host(
            APPS / "patterns", function_overrides={"double": double}, activity_rerun_rate=0.5
        ) as app:
            started = await start(app, "fan_out", 40, instance_id="fan")
            final = await app.wait_for_status(started["statusQueryGetUri"])
        assert final["output"] == sum(2 * n for n in range(40))
        runs.append(calls)
    twice = [n for n, count in runs[0].items() if count == 2]
    assert 5 < len(twice) < 35
    assert set(runs[0].values()) == {1, 2}
    assert runs[0] == runs[1], "which activities re-run is drawn from their ids"


def test_the_cli_takes_a_rate_from_zero_to_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["--app-dir", ".", "--rerun-activities", "0.25"]).rerun_activities == 0.25
    with pytest.raises(SystemExit):
        parse_args(["--app-dir", ".", "--rerun-activities", "1.5"])
    assert "rate from 0 to 1" in capsys.readouterr().err
