from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from migration.domain.body import RequestInvalid
from migration.domain.request import DeleteSource, MigrationRequest
from migration.domain.validation import RequestBody
from tests.migration.factories import GALLERY, image_id, parse, request_body


def errors_of(body: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(RequestInvalid) as caught:
        parse(body, **kwargs)
    return {e.field: e.message for e in caught.value.errors}


def test_minimal_request_gets_the_defaults() -> None:
    request = parse(request_body())
    assert request.delete_source is DeleteSource.AFTER_APPROVAL
    assert request.replica_count == 1
    assert request.target_regions == []
    assert request.images[0].definition.name is None
    assert request.approval_timeout_or(timedelta(days=3)) == timedelta(days=3)


def test_design_example_is_valid() -> None:
    body = {
        "gallery": GALLERY,
        "images": [
            {
                "source": image_id("myImage"),
                "definition": {
                    "name": "myImageDefinition",
                    "publisher": "myPublisher",
                    "offer": "myOffer",
                    "sku": "mySKU",
                },
                "version": "1.0.0",
            }
        ],
        "targetRegions": [
            {"name": "southcentralus", "replicaCount": 1},
            {"name": "westcentralus", "replicaCount": 2, "storageAccountType": "Standard_ZRS"},
        ],
        "storageAccountType": "Standard_LRS",
        "endOfLifeDate": "2030-12-31",
        "excludeFromLatest": False,
        "deleteSource": "afterApproval",
        "approvalTimeout": "P3D",
    }
    request = parse(body)
    assert request.end_of_life_date == datetime(2030, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert [r.replicas(1) for r in request.target_regions] == [1, 2]
    assert request.to_json()["targetRegions"][1]["storageAccountType"] == "Standard_ZRS"


def test_every_bad_field_is_named_in_one_answer() -> None:
    body = {
        "gallery": GALLERY.removesuffix("/gal") + "/bad-name",
        "images": [
            {"source": "not-an-id", "version": "1.0"},
            {"source": image_id("b"), "definition": {"name": "-x", "sku": "bad."}},
        ],
        "targetRegions": [{"name": "eastus", "replicaCount": 101}],
        "storageAccountType": "Cold_LRS",
        "endOfLifeDate": "2020-01-01",
        "deleteSource": "sometimes",
        "approvalTimeout": "soon",
        "surprise": True,
    }
    found = errors_of(body)
    assert set(found) == {
        "gallery",
        "images[0].source",
        "images[0].version",
        "images[1].definition.name",
        "images[1].definition.sku",
        "targetRegions[0].replicaCount",
        "storageAccountType",
        "endOfLifeDate",
        "deleteSource",
        "approvalTimeout",
        "surprise",
    }
    assert "no dashes" in found["gallery"]
    assert found["surprise"] == "unknown field"
    assert "must be in the future" in found["endOfLifeDate"]


def test_duplicate_sources_are_refused_whatever_their_casing() -> None:
    found = errors_of(
        request_body(
            image_id("web"), image_id("web").upper().replace("SUBSCRIPTIONS", "subscriptions")
        )
    )
    assert found["images[1].source"] == "repeats the source of images[0]"


def test_every_repeat_is_named_beside_other_bad_items() -> None:
    body = request_body(
        image_id("a"), image_id("a"), image_id("b"), image_id("b"), "not an image id"
    )
    body["targetRegions"] = [{"name": "eastus"}, {"name": "East US"}, {"name": "westus2"}]
    body["targetRegions"][2]["replicaCount"] = 0
    found = errors_of(body)
    assert found["images[1].source"] == "repeats the source of images[0]"
    assert found["images[3].source"] == "repeats the source of images[2]"
    assert "images[4].source" in found
    assert "targetRegions[1].name" in found
    assert "targetRegions[2].replicaCount" in found


def test_duplicate_regions_use_azures_words() -> None:
    found = errors_of(request_body(targetRegions=[{"name": "westus2"}, {"name": "West US 2"}]))
    assert (
        found["targetRegions[1].name"]
        == "Duplicate regions are not allowed in target publishing regions."
    )


def test_the_same_version_twice_is_refused() -> None:
    body = request_body(image_id("a"), image_id("b"))
    for item in body["images"]:
        item.update({"definition": {"name": "web"}, "version": "1.0.0"})
    assert "already asks for version 1.0.0" in errors_of(body)["images[1].version"]


def test_a_validated_request_read_back_is_not_validated_again() -> None:
    # An orchestration reads its request back months later: an end of life that has passed
    # since, or a limit lowered since, must not make the replay refuse what was accepted.
    body = parse(request_body(image_id("a"), endOfLifeDate="2026-12-01")).to_json()
    body["images"].append(dict(body["images"][0]))
    read = MigrationRequest.model_validate(body)
    assert len(read.images) == 2
    assert read.end_of_life_date == datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)
    assert not isinstance(read, RequestBody)


def test_deployments_become_replicas() -> None:
    request = parse(
        request_body(targetRegions=[{"name": "eastus", "expectedConcurrentDeployments": 41}])
    )
    assert request.target_regions[0].replicas(1) == 3


def test_replicas_and_deployments_together_are_ambiguous() -> None:
    found = errors_of(
        request_body(
            targetRegions=[
                {"name": "eastus", "replicaCount": 2, "expectedConcurrentDeployments": 5}
            ]
        )
    )
    assert "not both" in found["targetRegions[0]"]


def test_too_many_deployments_for_a_region() -> None:
    found = errors_of(
        request_body(targetRegions=[{"name": "eastus", "expectedConcurrentDeployments": 2001}])
    )
    assert "at most 100" in found["targetRegions[0]"]


def test_image_count_limits() -> None:
    assert "name images, or scopes" in errors_of(request_body() | {"images": []})[""]
    many = request_body(*(image_id(f"i{n}") for n in range(3)))
    assert "at most 2 images" in errors_of(many, max_images=2)["images"]


def test_approval_timeout_limits_and_normalisation() -> None:
    request = parse(request_body(approvalTimeout="PT72H"))
    assert request.approval_timeout == "P3D"
    found = errors_of(request_body(approvalTimeout="P30D"), max_approval_timeout=timedelta(days=7))
    assert found["approvalTimeout"] == "at most P7D"
    assert "longer than zero" in errors_of(request_body(approvalTimeout="PT0S"))["approvalTimeout"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", "null"])
def test_a_body_that_is_not_an_object(body: bytes | str) -> None:
    found = errors_of(body)
    assert list(found) == [""]


# Security types, deletion block, encryption ---------------------------------------------------

DES = (
    "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/keys"
    "/providers/Microsoft.Compute/diskEncryptionSets"
)


def test_security_types_a_managed_image_can_feed() -> None:
    request = parse(request_body(securityType="trustedlaunchsupported"))
    assert request.security_type == "TrustedLaunchSupported"
    found = errors_of(request_body(securityType="TrustedLaunch"))
    assert "needs a source with VM guest state" in found["securityType"]
    assert "is not a security type" in errors_of(request_body(securityType="Fancy"))["securityType"]
    body = request_body()
    body["images"][0]["definition"] = {"securityType": "ConfidentialVM"}
    assert "VM guest state" in errors_of(body)["images[0].definition.securityType"]


def test_the_deletion_block_and_in_use_option_are_booleans() -> None:
    assert parse(request_body(blockDeletionBeforeEndOfLife=True)).block_deletion_before_end_of_life
    assert parse(request_body()).block_deletion_before_end_of_life is None
    assert parse(request_body(deleteInUseSources=True)).delete_in_use_sources


def test_encryption_sets_are_plain_ids_in_the_gallerys_subscription() -> None:
    region = {"name": "eastus", "encryption": {"osDiskEncryptionSetId": "not-an-id"}}
    found = errors_of(request_body(targetRegions=[region]))
    assert (
        "is not a disk encryption set id"
        in found["targetRegions[0].encryption.osDiskEncryptionSetId"]
    )
    elsewhere = DES.replace("0001", "0002") + "/k"
    region = {"name": "eastus", "encryption": {"osDiskEncryptionSetId": elsewhere}}
    assert "the gallery's subscription" in errors_of(request_body(targetRegions=[region]))[""]


def test_every_region_encrypted_or_none_and_each_lun_once() -> None:
    regions = [
        {"name": "eastus", "encryption": {"osDiskEncryptionSetId": f"{DES}/e"}},
        {"name": "westus2"},
    ]
    assert "not encrypted: westus2" in errors_of(request_body(targetRegions=regions))[""]
    twice = {
        "name": "eastus",
        "encryption": {
            "dataDisks": [
                {"lun": 0, "diskEncryptionSetId": f"{DES}/a"},
                {"lun": 0, "diskEncryptionSetId": f"{DES}/b"},
            ]
        },
    }
    assert (
        "each data disk LUN at most once"
        in errors_of(request_body(targetRegions=[twice]))["targetRegions[0].encryption"]
    )
    empty = {"name": "eastus", "encryption": {}}
    assert (
        "at least one"
        in errors_of(request_body(targetRegions=[empty]))["targetRegions[0].encryption"]
    )


@pytest.mark.parametrize("version", ["01.0.0", "1.00.0", "1.0.01", "\uff11.0.0", "1.0"])
def test_version_names_must_be_canonical(version: str) -> None:
    body = request_body()
    body["images"][0]["version"] = version
    assert "without leading zeros" in errors_of(body)["images[0].version"]


# Strict, bounded JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"replicaCount": "2"}, "replicaCount"),
        ({"replicaCount": True}, "replicaCount"),
        ({"replicaCount": 2.0}, "replicaCount"),
        ({"excludeFromLatest": "yes"}, "excludeFromLatest"),
        ({"excludeFromLatest": 1}, "excludeFromLatest"),
        ({"endOfLifeDate": 1924992000}, "endOfLifeDate"),
        ({"blockDeletionBeforeEndOfLife": "true"}, "blockDeletionBeforeEndOfLife"),
        ({"deleteSource": 1}, "deleteSource"),
        ({"gallery": ["not", "a", "string"]}, "gallery"),
        (
            {"targetRegions": [{"name": "eastus", "replicaCount": "3"}]},
            "targetRegions[0].replicaCount",
        ),
    ],
)
def test_types_are_strict(fields: dict[str, Any], path: str) -> None:
    assert path in errors_of(request_body(**fields))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"gallery": NaN}', "not JSON"),
        (b'{"replicaCount": 1e999}', "too large"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b'{"a": ' * 40 + b"1" + b"}" * 40, "nested more than"),
        (b'{"replicaCount": ' + b"9" * 5000 + b"}", "not JSON"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_json_that_is_not_plain_and_bounded_is_refused(raw: bytes, message: str) -> None:
    assert message in errors_of(raw)[""]


def test_a_duration_too_large_for_a_timedelta_is_a_clear_error() -> None:
    found = errors_of(request_body(approvalTimeout="P99999999999999D"))
    assert "not an ISO-8601 duration" in found["approvalTimeout"]


# Selection by scope -----------------------------------------------------------------------------

SCOPE = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/images-rg"


def test_scopes_with_filters_may_stand_for_the_images() -> None:
    body = request_body() | {
        "images": [],
        "scopes": [SCOPE, "/subscriptions/00000000-0000-0000-0000-000000000002"],
        "filters": {
            "tags": {"team": "web", "migrate": None},
            "namePattern": "web-*",
            "osType": "linux",
            "hyperVGeneration": "v2",
            "locations": ["East US"],
        },
    }
    request = parse(body)
    assert request.images == []
    assert request.scopes[0] == SCOPE
    assert request.filters.os_type == "Linux"
    assert request.filters.hyper_v_generation == "V2"
    assert request.filters.locations == ["eastus"]
    assert request.filters.tags == {"team": "web", "migrate": None}


def test_bad_scopes_and_filters_are_named() -> None:
    body = request_body() | {
        "scopes": [SCOPE, SCOPE.upper().replace("SUBSCRIPTIONS", "subscriptions")],
        "filters": {"osType": "BeOS", "hyperVGeneration": 2, "colour": "red"},
    }
    found = errors_of(body)
    assert "each scope at most once" in found["scopes"]
    assert "not one of Linux, Windows" in found["filters.osType"]
    assert "filters.hyperVGeneration" in found
    assert found["filters.colour"] == "unknown field"
    assert "is not a scope" in errors_of(request_body(scopes=["/subscriptions/x"]))["scopes"]


# Regions the gallery's subscription has -------------------------------------------------------

HAS = frozenset({"eastus", "westus2", "northeurope"})


class Lookup:
    """ARM's locations list as a lookup, recording which subscriptions it was asked for."""

    def __init__(self, regions: frozenset[str] = HAS) -> None:
        self.regions = regions
        self.asked: list[str] = []

    def __call__(self, subscription: str) -> frozenset[str]:
        self.asked.append(subscription)
        return self.regions


def test_each_region_the_subscription_lacks_is_named() -> None:
    lookup = Lookup()
    body = request_body() | {
        "targetRegions": [{"name": "eastus"}, {"name": "West US 2"}, {"name": "westus9"}],
        "scopes": [SCOPE],
        "filters": {"locations": ["northeurope", "southafricawest", "EUROPE"]},
    }
    found = errors_of(body, regions=lookup)
    assert set(found) == {"targetRegions[2].name", "filters.locations[1]", "filters.locations[2]"}
    assert "'westus9' is not a region of subscription" in found["targetRegions[2].name"]
    assert lookup.asked == ["00000000-0000-0000-0000-000000000001"]


def test_an_encrypted_region_is_checked_as_any_other() -> None:
    des = (
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/keys"
        "/providers/Microsoft.Compute/diskEncryptionSets/des"
    )
    body = request_body(
        targetRegions=[{"name": "uksouth", "encryption": {"osDiskEncryptionSetId": des}}]
    )
    assert set(errors_of(body, regions=Lookup())) == {"targetRegions[0].name"}


def test_known_regions_pass_in_short_form_and_one_read_serves_the_request() -> None:
    lookup = Lookup()
    body = request_body(targetRegions=[{"name": "West US 2"}, {"name": "eastus"}])
    request = parse(
        body | {"scopes": [SCOPE], "filters": {"locations": ["North Europe"]}}, regions=lookup
    )
    assert [r.name for r in request.target_regions] == ["westus2", "eastus"]
    assert request.filters.locations == ["northeurope"]
    assert len(lookup.asked) == 1


def test_regions_are_not_looked_up_without_a_valid_gallery_or_a_lookup() -> None:
    lookup = Lookup()
    body = request_body(targetRegions=[{"name": "westus9"}]) | {"gallery": "not-an-id"}
    assert set(errors_of(body, regions=lookup)) == {"gallery"}
    assert lookup.asked == []
    # With no lookup (the orchestration's own reading, the tests' default) the form alone counts.
    assert parse(request_body(targetRegions=[{"name": "westus9"}])).target_regions[0].name == (
        "westus9"
    )


def test_a_lookup_that_fails_passes_its_error_through() -> None:
    def failing(subscription: str) -> frozenset[str]:
        raise ConnectionError("ARM is away")

    with pytest.raises(ConnectionError):
        parse(request_body(), regions=failing)
