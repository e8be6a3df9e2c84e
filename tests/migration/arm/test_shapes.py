from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from migration.arm import shapes
from migration.domain.definitions import DefinitionPlan
from migration.domain.facts import (
    TAG_FINGERPRINT,
    TAG_MIGRATION,
    TAG_SOURCE,
    Identifier,
    RegionTarget,
)
from migration.domain.plan import ImagePlan
from tests.migration.factories import image_id

IMAGE_JSON: dict[str, Any] = {
    "id": image_id("myImage"),
    "name": "myImage",
    "type": "Microsoft.Compute/images",
    "location": "eastus",
    "tags": {"team": "web"},
    "properties": {
        "sourceVirtualMachine": {
            "id": "/subscriptions/S/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v"
        },
        "storageProfile": {
            "osDisk": {"osType": "Linux", "osState": "Generalized", "diskSizeGB": 30},
            "dataDisks": [{"lun": 1, "diskSizeGB": 2048}, {"lun": 0, "diskSizeGB": 1024}],
        },
        "provisioningState": "Succeeded",
        "hyperVGeneration": "V2",
    },
}


def test_image_facts_from_arm_json() -> None:
    facts = shapes.image_facts(IMAGE_JSON)
    assert facts.name == "myImage"
    assert facts.os_type == "Linux"
    assert facts.hyper_v_generation == "V2"
    assert facts.data_disks_gb == [1024, 2048]  # by LUN
    assert facts.tags == {"team": "web"}


def test_old_images_without_a_generation_are_v1() -> None:
    old = {**IMAGE_JSON, "properties": {**IMAGE_JSON["properties"], "hyperVGeneration": None}}
    assert shapes.image_facts(old).hyper_v_generation == "V1"


def test_version_facts_read_display_region_names() -> None:
    resource = {
        "name": "1.0.0",
        "tags": {TAG_SOURCE: image_id("myImage")},
        "properties": {
            "provisioningState": "Creating",
            "storageProfile": {"source": {"id": image_id("myImage")}},
            "publishingProfile": {
                "replicaCount": 2,
                "targetRegions": [
                    {"name": "West US 2"},
                    {"name": "eastus", "regionalReplicaCount": 1},
                ],
            },
            "replicationStatus": {
                "aggregatedState": "InProgress",
                "summary": [
                    {"region": "West US 2", "state": "Replicating", "progress": 40},
                    {"region": "East US", "state": "Completed", "progress": 100},
                ],
            },
        },
    }
    facts = shapes.version_facts("web", resource)
    assert facts.source == image_id("myImage")
    assert [(t.name, t.replicas) for t in facts.target_regions] == [("westus2", 2), ("eastus", 1)]
    assert [(r.name, r.state, r.progress) for r in facts.regions] == [
        ("westus2", "Replicating", 40),
        ("eastus", "Completed", 100),
    ]


def test_definition_body_and_facts_round_trip() -> None:
    plan = DefinitionPlan(
        name="web",
        create=True,
        os_type="Linux",
        hyper_v_generation="V2",
        identifier=Identifier(publisher="p", offer="o", sku="s"),
        security_type="TrustedLaunchSupported",
    )
    body = shapes.definition_body(plan, "eastus")
    assert body == {
        "location": "eastus",
        "properties": {
            "osType": "Linux",
            "osState": "Generalized",
            "hyperVGeneration": "V2",
            "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
            # Stated, never left to the api-version's default.
            "features": [{"name": "SecurityType", "value": "TrustedLaunchSupported"}],
        },
    }
    facts = shapes.definition_facts({"name": "web", **body})
    assert facts.identifier == plan.identifier
    features = {
        "properties": {"features": [{"name": "SecurityType", "value": "TrustedLaunchSupported"}]}
    }
    assert (
        shapes.definition_facts({"name": "x", **features}).security_type == "TrustedLaunchSupported"
    )


def test_version_body_is_what_azure_expects() -> None:
    image = ImagePlan(
        source=image_id("myImage"),
        location="East US",
        fingerprint="fp-1",
        version="1.0.0",
        target_regions=[
            RegionTarget(name="eastus", replicas=1),
            RegionTarget(name="westus2", replicas=2, storage_account_type="Standard_ZRS"),
        ],
        end_of_life_date=datetime(2030, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    body = shapes.version_body(image, "mig-1")
    assert body["location"] == "eastus"
    assert body["tags"] == {
        TAG_SOURCE: image_id("myImage"),
        TAG_FINGERPRINT: "fp-1",
        TAG_MIGRATION: "mig-1",
    }
    props = body["properties"]
    assert props["storageProfile"] == {"source": {"id": image_id("myImage")}}
    assert props["publishingProfile"]["targetRegions"] == [
        {"name": "eastus", "regionalReplicaCount": 1},
        {"name": "westus2", "regionalReplicaCount": 2, "storageAccountType": "Standard_ZRS"},
    ]
    assert props["publishingProfile"]["endOfLifeDate"] == "2030-12-31T23:59:59Z"
    assert props["safetyProfile"] == {
        "allowDeletionOfReplicatedLocations": False,
        "blockDeletionBeforeEndOfLife": False,
    }
