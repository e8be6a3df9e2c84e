from __future__ import annotations

import pytest
from azure.mgmt.compute import ComputeManagementClient

from emulator.testing import SUBSCRIPTION, RunningEmulator
from migration.arm.client import compute_client


@pytest.fixture
def arm(arm_endpoint: RunningEmulator) -> ComputeManagementClient:
    """The app's own client (migration.arm.client) pointed at the emulator by ARM_ENDPOINT."""
    return compute_client(SUBSCRIPTION)
