from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.mgmt.compute import ComputeManagementClient

from emulator.testing import (  # noqa: F401  (fixtures)
    SUBSCRIPTION,
    RunningEmulator,
    emulator,
    emulator_config,
    virtual_clock,
)
from migration.arm_client import clear_client_cache, compute_client


@pytest.fixture
def arm(
    emulator: RunningEmulator,  # noqa: F811  (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ComputeManagementClient]:
    """The app's own client (migration.arm_client) pointed at the emulator by ARM_ENDPOINT."""
    monkeypatch.setenv("ARM_ENDPOINT", emulator.base_url)
    monkeypatch.delenv("ARM_TOKEN", raising=False)
    clear_client_cache()
    yield compute_client(SUBSCRIPTION)
    clear_client_cache()
