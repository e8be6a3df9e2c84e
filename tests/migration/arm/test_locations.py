"""migration.arm.locations: a subscription's physical regions from ARM's list, kept a while."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator import EmulatorConfig, FaultConfig
from emulator.regions import LOGICAL_LOCATIONS, REGIONS
from emulator.testing import SUBSCRIPTION, RunningEmulator
from migration.arm.errors import ArmError
from migration.arm.locations import CACHE_SECONDS, clear_location_cache, subscription_regions

OTHER = "00000000-0000-0000-0000-0000000000aa"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_location_cache()
    yield
    clear_location_cache()


def reads(emulator: RunningEmulator) -> int:
    log = emulator.emulator.request_log
    return sum(1 for r in log if r.operation == "subscriptions.list_locations")


def test_the_regions_are_the_physical_ones(arm_endpoint: RunningEmulator) -> None:
    regions = subscription_regions(SUBSCRIPTION)
    assert regions == set(REGIONS)
    assert not regions & set(LOGICAL_LOCATIONS), "logical locations hold no resources"
    (record,) = arm_endpoint.emulator.request_log
    assert record.action == "Microsoft.Resources/subscriptions/locations/read"
    assert record.scope == f"/subscriptions/{SUBSCRIPTION}"


def test_one_read_per_subscription_until_the_list_is_old(arm_endpoint: RunningEmulator) -> None:
    ticks = Ticks()
    first = subscription_regions(SUBSCRIPTION, now=ticks)
    ticks.now += CACHE_SECONDS - 1
    assert subscription_regions(SUBSCRIPTION.upper(), now=ticks) == first
    assert reads(arm_endpoint) == 1
    subscription_regions(OTHER, now=ticks)
    assert reads(arm_endpoint) == 2, "each subscription has its own list"
    ticks.now += 1
    subscription_regions(SUBSCRIPTION, now=ticks)
    assert reads(arm_endpoint) == 3, "an old list is read again"


@pytest.mark.parametrize(
    "emulator_config",
    [
        EmulatorConfig(
            faults=FaultConfig(
                error_rate=1.0,
                error_statuses=(500,),
                error_operations=("subscriptions.list_locations",),
            )
        )
    ],
)
def test_a_failed_read_raises_and_is_not_kept(arm_endpoint: RunningEmulator) -> None:
    with pytest.raises(ArmError) as caught:
        subscription_regions(SUBSCRIPTION)
    assert caught.value.status == 500
    assert "locations of subscription" in caught.value.message
    arm_endpoint.emulator.configure_faults(FaultConfig())
    assert "eastus" in subscription_regions(SUBSCRIPTION)
