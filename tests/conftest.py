"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.testing import (  # noqa: F401  (fixtures)
    RunningEmulator,
    emulator,
    emulator_config,
    virtual_clock,
)
from migration.arm.client import clear_client_cache


@pytest.fixture
def arm_endpoint(
    emulator: RunningEmulator,  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunningEmulator]:
    """An emulator with the app's settings pointing migration.arm.client at it."""
    monkeypatch.setenv("ARM_ENDPOINT", emulator.base_url)
    monkeypatch.delenv("ARM_TOKEN", raising=False)
    clear_client_cache()
    yield emulator
    clear_client_cache()
