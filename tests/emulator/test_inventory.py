"""What a migration reads besides galleries and images: scale sets (is a managed image still
used?) and ARM's locations list."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.resource.subscriptions import SubscriptionClient
from azure.mgmt.resource.subscriptions.models import LocationType, RegionCategory, RegionType

from emulator import EmulatorConfig, SeedData
from emulator.testing import SUBSCRIPTION, RunningEmulator, StaticBearerPolicy, StaticToken
from tests.emulator.helpers import GALLERY_ID, IMAGE_ID, PREFIX, image_id

SCALE_SETS = f"{PREFIX}/virtualMachineScaleSets"
OTHER_RG = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/apps/providers/Microsoft.Compute"


# Scale sets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(page_size=2)])
def test_scale_sets_get_and_list_with_their_image_reference(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    emu = emulator.emulator
    emu.seed_scale_set(f"{SCALE_SETS}/web", image_id=IMAGE_ID, capacity=3)
    emu.seed_scale_set(f"{SCALE_SETS}/batch", image_id=f"{GALLERY_ID}/images/def")
    emu.seed_scale_set(f"{SCALE_SETS}/market", location="westeurope")
    emu.seed_scale_set(f"{OTHER_RG}/virtualMachineScaleSets/api", image_id=image_id("other"))
    web = arm.virtual_machine_scale_sets.get("rg", "web")
    assert web.virtual_machine_profile.storage_profile.image_reference.id == IMAGE_ID
    assert web.sku is not None
    assert (web.sku.capacity, web.location, web.provisioning_state) == (3, "eastus", "Succeeded")
    market = arm.virtual_machine_scale_sets.get("rg", "market")
    reference = market.virtual_machine_profile.storage_profile.image_reference
    assert (reference.id, reference.publisher) == (None, "Canonical")
    in_group = [s.name for s in arm.virtual_machine_scale_sets.list("rg")]
    assert in_group == ["batch", "market", "web"]
    everywhere = {
        s.name: s.virtual_machine_profile.storage_profile.image_reference.id
        for s in arm.virtual_machine_scale_sets.list_all()
    }
    assert everywhere == {
        "api": image_id("other"),
        "batch": f"{GALLERY_ID}/images/def",
        "market": None,
        "web": IMAGE_ID,
    }
    pages = [r for r in emu.request_log if r.operation == "virtual_machine_scale_sets.list_all"]
    assert len(pages) == 2, "four scale sets, two per page, followed by nextLink"
    with pytest.raises(ResourceNotFoundError) as caught:
        arm.virtual_machine_scale_sets.get("rg", "nope")
    assert "Microsoft.Compute/virtualMachineScaleSets/nope" in str(caught.value)
    actions = {r.action for r in emu.request_log}
    assert actions == {"Microsoft.Compute/virtualMachineScaleSets/read"}


def test_a_scale_set_outlives_the_image_it_deploys_from(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    emulator.emulator.seed_image(IMAGE_ID)
    emulator.emulator.seed_scale_set(f"{SCALE_SETS}/web", image_id=IMAGE_ID)
    arm.images.begin_delete("rg", "myImage").result()
    web = arm.virtual_machine_scale_sets.get("rg", "web")
    assert web.virtual_machine_profile.storage_profile.image_reference.id == IMAGE_ID


def test_scale_sets_seed_from_a_seed_file(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed = {"scale_sets": [{"id": f"{SCALE_SETS}/web", "image_id": IMAGE_ID, "capacity": 0}]}
    answer = emulator.request("POST", "/_emulator/seed", seed, token=None)
    assert answer.body["scale_sets"] == 1
    sku = arm.virtual_machine_scale_sets.get("rg", "web").sku
    assert sku is not None
    assert sku.capacity == 0
    with pytest.raises(ValueError, match="not available"):
        emulator.emulator.seed(
            SeedData.model_validate({"scale_sets": [{"id": f"{SCALE_SETS}/x", "location": "moon"}]})
        )


# Locations --------------------------------------------------------------------------------------


def test_locations_answer_the_region_table_in_arm_shape(emulator: RunningEmulator) -> None:
    answer = emulator.request(
        "GET", f"/subscriptions/{SUBSCRIPTION}/locations?api-version=2022-12-01"
    )
    assert answer.status == 200
    regions = {item["name"]: item for item in answer.body["value"]}
    assert "nextLink" not in answer.body, "Azure answers in one page"
    east = regions["eastus"]
    zones = east.pop("availabilityZoneMappings")
    assert east == {
        "id": f"/subscriptions/{SUBSCRIPTION}/locations/eastus",
        "name": "eastus",
        "type": "Region",
        "displayName": "East US",
        "regionalDisplayName": "(US) East US",
        "metadata": {
            "regionType": "Physical",
            "regionCategory": "Recommended",
            "geography": "United States",
            "geographyGroup": "US",
            "physicalLocation": "Virginia",
            "pairedRegion": [
                {"name": "westus", "id": f"/subscriptions/{SUBSCRIPTION}/locations/westus"}
            ],
        },
    }
    assert [z["logicalZone"] for z in zones] == ["1", "2", "3"]
    assert sorted(z["physicalZone"] for z in zones) == ["eastus-az1", "eastus-az2", "eastus-az3"]
    # UK regions form their own group since October 2025; regions without zones list none.
    assert regions["uksouth"]["regionalDisplayName"] == "(UK) UK South"
    assert regions["ukwest"]["metadata"]["regionCategory"] == "Other"
    assert "availabilityZoneMappings" not in regions["ukwest"]
    assert "pairedRegion" not in regions["polandcentral"]["metadata"]
    assert regions["uk"] == {
        "id": f"/subscriptions/{SUBSCRIPTION}/locations/uk",
        "name": "uk",
        "type": "Region",
        "displayName": "United Kingdom",
        "regionalDisplayName": "United Kingdom",
        "metadata": {"regionType": "Logical", "regionCategory": "Other"},
    }
    record = emulator.emulator.request_log[-1]
    assert record.operation == "subscriptions.list_locations"
    assert record.action == "Microsoft.Resources/subscriptions/locations/read"
    assert record.scope == f"/subscriptions/{SUBSCRIPTION}"


def test_zone_mappings_differ_by_subscription_and_stay_put(emulator: RunningEmulator) -> None:
    def mapping(subscription: str) -> list[str]:
        answer = emulator.request(
            "GET", f"/subscriptions/{subscription}/locations?api-version=2022-12-01"
        )
        (east,) = [item for item in answer.body["value"] if item["name"] == "eastus"]
        return [z["physicalZone"] for z in east["availabilityZoneMappings"]]

    others = {tuple(mapping(f"{n:08d}-0000-0000-0000-000000000000")) for n in range(12)}
    assert len(others) > 1, "each subscription has its own mapping"
    assert mapping(SUBSCRIPTION) == mapping(SUBSCRIPTION)


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(page_size=10)])
def test_subscription_client_lists_locations(emulator: RunningEmulator) -> None:
    client = SubscriptionClient(
        credential=StaticToken(),
        base_url=emulator.base_url,
        authentication_policy=StaticBearerPolicy(),
    )
    locations = list(client.subscriptions.list_locations(SUBSCRIPTION))
    names = [location.name for location in locations]
    assert len(names) == len(set(names)) > 60, "every page, followed by nextLink"
    west = next(location for location in locations if location.name == "westus2")
    assert west.display_name == "West US 2"
    assert west.type == LocationType.REGION
    assert west.metadata is not None
    assert west.metadata.paired_region is not None
    assert west.availability_zone_mappings is not None
    assert west.metadata.region_type == RegionType.PHYSICAL
    assert west.metadata.region_category == RegionCategory.RECOMMENDED
    assert west.metadata.paired_region[0].name == "westcentralus"
    assert west.metadata.geography_group == "US"
    assert west.metadata.physical_location == "Washington"
    assert [m.logical_zone for m in west.availability_zone_mappings] == ["1", "2", "3"]
    europe = next(location for location in locations if location.name == "europe")
    assert europe.metadata is not None
    assert europe.metadata.region_type == RegionType.LOGICAL
    assert europe.metadata.paired_region is None
    assert europe.availability_zone_mappings is None
