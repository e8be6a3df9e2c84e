"""An ARM activity run once, twice in a row, and twice at once, each against a fresh emulator
seeded the same way; the ARM state each leaves, read from the emulator's resources and its
state-change log (never from call counts).

Durable runs activities at least once: a second run must leave ARM as one run does and answer
an equivalent outcome, whether it follows the first (a result lost after the work was done)
or overlaps it (a second worker took the same message).
"""

from __future__ import annotations

import copy
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from emulator import Emulator, EmulatorConfig
from emulator.testing import START, RunningEmulator, running_emulator
from migration.arm.client import clear_client_cache
from simclock import VirtualClock

Activity = Callable[[Any], Any]
MODES = ("once", "in a row", "at once")


@dataclass(frozen=True)
class ArmState:
    """Every resource the state log names, as a GET shows it now (``None``: gone), and every
    state change it recorded (kind, resource, region), however many times."""

    resources: dict[str, Any]
    changes: Counter[tuple[str, str, str | None]]


def arm_state(emulator: Emulator, renamed: Mapping[str, str] | None = None) -> ArmState:
    """The state now; ``renamed`` replaces ids that differ from run to run (a migration's,
    in its versions' tags) by stable names."""
    events = emulator.events  # settled to the clock's now first
    ids = sorted({e.resource_id.lower() for e in events})
    text = json.dumps({i: emulator.resource(i) for i in ids}, sort_keys=True)
    for old, new in (renamed or {}).items():
        text = text.replace(old, new)
    return ArmState(
        resources=json.loads(text),
        changes=Counter((e.kind, e.resource_id.lower(), e.region) for e in events),
    )


@dataclass
class Runs:
    outcomes: dict[str, list[Any]] = field(default_factory=dict)
    states: dict[str, ArmState] = field(default_factory=dict)
    # What the seed step returned in each mode (ids, plans), for a test's own checks.
    seeded: dict[str, Any] = field(default_factory=dict)

    @property
    def once(self) -> Any:
        return self.outcomes["once"][0]

    def assert_same_state(self) -> None:
        for mode in MODES[1:]:
            assert self.states[mode] == self.states["once"], f"{mode}: not the state of one run"

    def assert_outcomes(self, equivalent: Callable[[Any, Any], bool] | None = None) -> None:
        same = equivalent or (lambda a, b: a == b)
        for mode in MODES[1:]:
            for outcome in self.outcomes[mode]:
                assert same(outcome, self.once), f"{mode}: {outcome} vs {self.once}"


@contextmanager
def pointed_at(
    monkeypatch: pytest.MonkeyPatch, config: EmulatorConfig
) -> Iterator[RunningEmulator]:
    """A fresh emulator on a fresh virtual clock, with the app's ARM settings pointing at it."""
    with running_emulator(VirtualClock(START), config) as arm:
        monkeypatch.setenv("ARM_ENDPOINT", arm.base_url)
        monkeypatch.delenv("ARM_TOKEN", raising=False)
        clear_client_cache()
        try:
            yield arm
        finally:
            clear_client_cache()


def run_three_ways(
    monkeypatch: pytest.MonkeyPatch,
    activity: Activity,
    seed: Callable[[RunningEmulator], Any],
    payload: Callable[[Any], Any],
    config: EmulatorConfig | None = None,
) -> Runs:
    """``seed`` prepares each fresh emulator (its return value goes to ``payload``, which
    builds the activity's input); the activity then runs once, twice in a row, twice at once."""
    runs = Runs()
    for mode in MODES:
        with pointed_at(monkeypatch, config or EmulatorConfig()) as arm:
            seeded = seed(arm)
            runs.seeded[mode] = seeded
            given = payload(seeded)
            if mode == "once":
                runs.outcomes[mode] = [activity(copy.deepcopy(given))]
            elif mode == "in a row":
                runs.outcomes[mode] = [activity(copy.deepcopy(given)) for _ in range(2)]
            else:
                runs.outcomes[mode] = at_once(activity, given)
            runs.states[mode] = arm_state(arm.emulator)
    return runs


def at_once(activity: Activity, given: Any) -> list[Any]:
    """Two runs released together (a barrier), on two threads, as two workers would run them."""
    barrier = threading.Barrier(2)

    def run(payload: Any) -> Any:
        barrier.wait(timeout=10)
        return activity(payload)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run, copy.deepcopy(given)) for _ in range(2)]
        return [future.result(timeout=60) for future in futures]


def user_function(decorated: Any) -> Activity:
    """The function behind an ``activity_trigger``-decorated one."""
    function: Activity = decorated.build().get_user_function()
    return function
