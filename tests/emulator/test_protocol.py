"""ARM's protocol: authentication, api-versions, routes, ids, paging, the error envelope."""

from __future__ import annotations

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.mgmt.compute import ComputeManagementClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import EmulatorConfig
from emulator.testing import SUBSCRIPTION, RunningEmulator, compute_client
from tests.emulator.helpers import (
    DEFINITION,
    GALLERY,
    GALLERY_ID,
    IMAGE,
    IMAGE_ID,
    PREFIX,
    RG,
    create_definition,
    error_code,
    image_id,
    seed_world,
)

GALLERY_PATH = f"{GALLERY_ID}?api-version=2026-03-03"


# Authentication ---------------------------------------------------------------------------------


def test_request_without_authorization_is_401(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    response = emulator.request("GET", GALLERY_PATH, token=None)
    assert response.status == 401
    assert response.body == {
        "error": {
            "code": "AuthenticationFailed",
            "message": "Authentication failed. The 'Authorization' header is missing.",
        }
    }
    assert (response.header("WWW-Authenticate") or "").startswith("Bearer ")


@pytest.mark.parametrize("header", ["Basic dXNlcjpwdw==", "Bearer", "Bearer   ", "token"])
def test_malformed_authorization_is_401(emulator: RunningEmulator, header: str) -> None:
    response = emulator.request("GET", GALLERY_PATH, token=None, headers={"Authorization": header})
    assert response.status == 401
    assert response.body["error"]["message"] == (
        "Authentication failed. The 'Authorization' header is provided in an invalid format."
    )


def test_any_bearer_token_is_accepted(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    assert emulator.request("GET", GALLERY_PATH, token="anything-at-all").status == 200


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(accepted_tokens=("good",))])
def test_only_accepted_tokens_when_configured(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    response = emulator.request("GET", GALLERY_PATH, token="bad")
    assert response.status == 401
    assert response.body["error"]["code"] == "InvalidAuthenticationToken"
    with pytest.raises(ClientAuthenticationError):
        emulator.client().galleries.get(RG, GALLERY)
    assert emulator.request("GET", GALLERY_PATH, token="good").status == 200


# api-version ------------------------------------------------------------------------------------


def test_missing_api_version_is_400(emulator: RunningEmulator) -> None:
    response = emulator.request("GET", GALLERY_ID)
    assert response.status == 400
    assert response.body["error"]["code"] == "MissingApiVersionParameter"


def test_unsupported_api_version_is_400(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    response = emulator.request("GET", f"{GALLERY_ID}?api-version=2099-01-01")
    assert response.status == 400
    error = response.body["error"]
    assert error["code"] == "NoRegisteredProviderFound"
    assert error["message"].startswith(
        "No registered resource provider found for location 'eastus' and API version "
        "'2099-01-01' for type 'galleries'. The supported api-versions are '2018-06-01, "
    )
    image = emulator.request("GET", f"{IMAGE_ID}?api-version=2026-03-03")
    assert image.status == 400, "managed images are not at the gallery api-version"


def test_the_sdk_api_versions_are_accepted(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    arm.galleries.get(RG, GALLERY)
    arm.images.get(RG, IMAGE)
    create_definition(arm)
    log = emulator.emulator.request_log
    assert {r.operation for r in log} >= {"galleries.get", "images.get", "gallery_images.get"}
    assert all(r.status < 400 for r in log)


# Routes and missing resources ------------------------------------------------------------------


def test_missing_resources_answer_as_arm(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    with pytest.raises(ResourceNotFoundError) as caught:
        arm.galleries.get(RG, "nogallery")
    assert error_code(caught.value) == "ResourceNotFound"
    assert (
        "The Resource 'Microsoft.Compute/galleries/nogallery' under resource group 'rg' "
        "was not found" in str(caught.value)
    )
    with pytest.raises(ResourceNotFoundError) as caught:
        arm.gallery_images.get(RG, "nogallery", DEFINITION)
    assert error_code(caught.value) == "ParentResourceNotFound"
    assert "Parent resource 'nogallery' not found." in str(caught.value)
    seed_world(emulator.emulator)
    with pytest.raises(ResourceNotFoundError) as caught:
        arm.gallery_image_versions.get(RG, GALLERY, "nodef", "1.0.0")
    assert error_code(caught.value) == "ParentResourceNotFound"
    assert f"Parent resource '{GALLERY}/nodef' not found." in str(caught.value)
    create_definition(arm)
    with pytest.raises(ResourceNotFoundError) as caught:
        arm.gallery_image_versions.get(RG, GALLERY, DEFINITION, "9.9.9")
    assert error_code(caught.value) == "ResourceNotFound"
    with pytest.raises(ResourceNotFoundError):
        arm.images.get(RG, "noimage")


def test_unknown_resource_type_is_404(emulator: RunningEmulator) -> None:
    response = emulator.request("GET", f"{PREFIX}/virtualMachines/vm1?api-version=2026-04-01")
    assert response.status == 404
    assert response.body["error"]["code"] == "InvalidResourceType"
    assert emulator.request("GET", "/nothing/here").status == 404


def test_unsupported_method_is_405(emulator: RunningEmulator) -> None:
    response = emulator.request("POST", GALLERY_PATH, {})
    assert response.status == 405
    assert response.body["error"]["code"] == "MethodNotAllowed"


def test_deleting_what_is_not_there_is_204(emulator: RunningEmulator) -> None:
    assert emulator.request("DELETE", f"{PREFIX}/images/ghost?api-version=2026-04-01").status == 204


def test_invalid_json_is_invalid_request_content(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    response = emulator.request(
        "PUT", f"{GALLERY_ID}/images/{DEFINITION}?api-version=2026-03-03", b"{not json"
    )
    assert response.status == 400
    assert response.body["error"]["code"] == "InvalidRequestContent"


def test_every_request_is_logged_with_its_template(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    arm.galleries.get(RG, GALLERY)
    emulator.request("GET", GALLERY_PATH, token=None)
    first, second = emulator.emulator.request_log
    assert first.template == (
        "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
        "/providers/Microsoft.Compute/galleries/{galleryName}"
    )
    assert (first.method, first.operation, first.status, first.error_code) == (
        "GET",
        "galleries.get",
        200,
        None,
    )
    assert (second.status, second.error_code, second.operation) == (
        401,
        "AuthenticationFailed",
        "unknown",
    )
    assert emulator.emulator.counters == {"galleries.get": 1, "unknown": 1}


# Case-insensitive ids ---------------------------------------------------------------------------


def recased(text: str, flips: list[bool]) -> str:
    return "".join(
        char.swapcase() if flips[i % len(flips)] else char for i, char in enumerate(text)
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flips=st.lists(st.booleans(), min_size=1, max_size=12))
def test_ids_compare_case_insensitively_and_keep_their_casing(
    emulator: RunningEmulator, flips: list[bool]
) -> None:
    if emulator.emulator.resource(GALLERY_ID) is None:
        seed_world(emulator.emulator)
    path = recased(f"{PREFIX}/galleries/{GALLERY}", flips) + "?api-version=2026-03-03"
    response = emulator.request("GET", path)
    assert response.status == 200
    assert response.body["id"] == GALLERY_ID
    assert response.body["name"] == GALLERY


def test_sdk_finds_resources_whatever_the_casing(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    seed_world(emulator.emulator)
    create_definition(arm)
    found = arm.gallery_images.get("RG", "MYGALLERY", DEFINITION.upper())
    assert found.name == DEFINITION
    assert found.id == f"{GALLERY_ID}/images/{DEFINITION}"
    again = create_definition(arm, name=DEFINITION.lower())
    assert again.name == DEFINITION, "a re-PUT in other casing is the same resource"
    assert [d.name for d in arm.gallery_images.list_by_gallery(RG, GALLERY)] == [DEFINITION]


def test_version_source_id_is_matched_case_insensitively(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    from tests.emulator.helpers import get_version, start_version, version

    seed_world(emulator.emulator)
    create_definition(arm)
    start_version(arm, body=version(IMAGE_ID.upper().replace("SUBSCRIPTIONS", "subscriptions")))
    assert get_version(arm).provisioning_state == "Creating"


# Paging -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(page_size=2)])
def test_lists_page_with_next_links(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    for index in range(5):
        emulator.emulator.seed_image(image_id(f"image{index}"))
    emulator.emulator.seed_image(
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/other/providers/Microsoft.Compute/images/elsewhere"
    )
    assert [i.name for i in arm.images.list_by_resource_group(RG)] == [
        f"image{i}" for i in range(5)
    ]
    assert len(list(arm.images.list())) == 6
    pages = [
        r for r in emulator.emulator.request_log if r.operation == "images.list_by_resource_group"
    ]
    assert len(pages) == 3
    first = emulator.request("GET", f"{PREFIX}/images?api-version=2026-04-01")
    assert len(first.body["value"]) == 2
    assert first.body["nextLink"].startswith(
        f"{emulator.base_url}{PREFIX}/images?api-version=2026-04-01&"
    )
    last = emulator.request("GET", f"{PREFIX}/images?api-version=2026-04-01&$skiptoken=4")
    assert "nextLink" not in last.body
    assert (
        emulator.request("GET", f"{PREFIX}/images?api-version=2026-04-01&$skiptoken=x").status
        == 400
    )


@pytest.mark.parametrize("emulator_config", [EmulatorConfig(page_size=1)])
def test_gallery_resources_page_too(
    emulator: RunningEmulator, arm: ComputeManagementClient
) -> None:
    from tests.emulator.helpers import start_version, version

    seed_world(emulator.emulator)
    emulator.emulator.seed_gallery(f"{PREFIX}/galleries/second")
    create_definition(arm)
    create_definition(arm, name="other", identifier=("p", "o", "other"))
    start_version(arm, "1.0.0")
    emulator.advance(24 * 3600)
    start_version(arm, "1.0.1", version())
    assert [g.name for g in arm.galleries.list_by_resource_group(RG)] == [GALLERY, "second"]
    assert len(list(arm.galleries.list())) == 2
    assert [d.name for d in arm.gallery_images.list_by_gallery(RG, GALLERY)] == [
        DEFINITION,
        "other",
    ]
    versions = list(arm.gallery_image_versions.list_by_gallery_image(RG, GALLERY, DEFINITION))
    assert [(v.name, v.provisioning_state) for v in versions] == [
        ("1.0.0", "Succeeded"),
        ("1.0.1", "Creating"),
    ]
    assert all(v.replication_status is None for v in versions)


def test_listing_under_a_missing_parent_is_404(arm: ComputeManagementClient) -> None:
    with pytest.raises(ResourceNotFoundError):
        list(arm.gallery_images.list_by_gallery(RG, "nogallery"))


def test_static_client_helper_talks_to_the_emulator(emulator: RunningEmulator) -> None:
    seed_world(emulator.emulator)
    client = compute_client(emulator.base_url)
    assert client.galleries.get(RG, GALLERY).name == GALLERY
    with pytest.raises(HttpResponseError):
        compute_client(emulator.base_url, subscription_id="other").galleries.get(RG, GALLERY)
