from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from migration.config.policy import EventGridPolicy, written_image, written_version
from migration.config.settings import Settings, SettingsError
from migration.domain.body import RequestInvalid
from tests.migration.factories import GALLERY, image, image_id, limits

ENV = {
    "EVENTGRID_GALLERY_ID": GALLERY,
    "EVENTGRID_TARGET_REGIONS": "eastus=1, westus2=2:Standard_ZRS, northeurope",
    "EVENTGRID_DELETE_SOURCE": "afterReplication",
}


def data(**overrides: Any) -> dict[str, Any]:
    values = {
        "operationName": "Microsoft.Compute/images/write",
        "status": "Succeeded",
        "resourceUri": image_id("web"),
    }
    values.update(overrides)
    return values


def test_unconfigured_policy_is_none() -> None:
    assert EventGridPolicy.from_env({}, Settings()) is None


def test_policy_builds_requests() -> None:
    policy = EventGridPolicy.from_env(ENV, Settings())
    assert policy is not None
    request = policy.request_for(image_id("web"), limits())
    assert [(r.name, r.replicas(1), r.storage_account_type) for r in request.target_regions] == [
        ("eastus", 1, None),
        ("westus2", 2, "Standard_ZRS"),
        ("northeurope", 1, None),
    ]
    assert request.delete_source.value == "afterReplication"


@pytest.mark.parametrize(
    "env",
    [
        {**ENV, "EVENTGRID_OPT_IN": "some"},
        {**ENV, "EVENTGRID_TARGET_REGIONS": "eastus=many"},
        {**ENV, "EVENTGRID_DELETE_SOURCE": "sometimes"},
        {**ENV, "EVENTGRID_GALLERY_ID": "not-a-gallery"},
    ],
)
def test_bad_policy_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        EventGridPolicy.from_env(env, Settings())


def test_opt_in_by_tag_or_for_all() -> None:
    policy = EventGridPolicy.from_env(ENV, Settings())
    assert policy is not None
    assert not policy.opted_in(image("web"))
    assert policy.opted_in(image("web", tags={"MigrateToGallery": "true"}))
    assert not policy.opted_in(image("web", tags={"migrateToGallery": "false"}))
    everything = EventGridPolicy.from_env({**ENV, "EVENTGRID_OPT_IN": "all"}, Settings())
    assert everything is not None
    assert everything.opted_in(image("web"))


def test_written_image_events() -> None:
    write = "Microsoft.Resources.ResourceWriteSuccess"
    assert written_image(write, "", data()) == (image_id("web"), "")
    # Subjects use lower-case "resourcegroups"; ids come back canonical.
    subject = image_id("web").replace("resourceGroups", "resourcegroups")
    assert written_image(write, subject, data(resourceUri=None))[0] == image_id("web")
    assert written_image("Microsoft.Resources.ResourceDeleteSuccess", "", data())[0] is None
    ignored, why = written_image(write, "", data(operationName="Microsoft.Compute/disks/write"))
    assert ignored is None
    assert "is not microsoft.compute/images/write" in why
    assert written_image(write, "", data(resourceUri="/subscriptions/s"))[0] is None


def test_written_version_events_from_either_topic_success_or_failure() -> None:
    version = f"{GALLERY}/images/web/versions/1.0.0".replace("resourceGroups", "resourcegroups")
    system = {"operationName": "Microsoft.Compute/galleries/images/versions/write"}
    for kind in (
        "Microsoft.Resources.ResourceWriteSuccess",
        "microsoft.resources.resourcewritefailure",
    ):
        assert written_version(kind, version, system) == (version, "")
        assert written_version(kind, "", {**system, "resourceUri": version})[0] == version
    notification = {
        "resourceInfo": {"id": version, "type": "Microsoft.Compute/galleries/images/versions"}
    }
    created = "Microsoft.ResourceNotifications.Resources.CreatedOrUpdated"
    assert written_version(created, version, notification)[0] == version


def test_events_that_are_no_version_write_are_told_apart() -> None:
    version = f"{GALLERY}/images/web/versions/1.0.0"
    write = "Microsoft.Resources.ResourceWriteSuccess"
    image_write = {"operationName": "Microsoft.Compute/images/write"}
    cases = [
        (write, version, image_write, "is not microsoft.compute/galleries/images/versions/write"),
        (write, version, None, "operation (none)"),
        ("Microsoft.Resources.ResourceDeleteSuccess", version, {}, "is not a resource write"),
        ("", version, {}, "is not a resource write"),
        (
            "Microsoft.ResourceNotifications.Resources.CreatedOrUpdated",
            version,
            {"resourceInfo": {"id": version, "type": "Microsoft.Compute/images"}},
            "resource type Microsoft.Compute/images",
        ),
        (
            write,
            f"{GALLERY}/images/web",
            {"operationName": "Microsoft.Compute/galleries/images/versions/write"},
            "is not an image version id",
        ),
    ]
    for kind, subject, payload, reason in cases:
        found, why = written_version(kind, subject, payload)
        assert found is None
        assert reason in why


def test_policy_approval_timeout_is_held_to_the_app_limit() -> None:
    policy = EventGridPolicy.from_env({**ENV, "EVENTGRID_APPROVAL_TIMEOUT": "P30D"}, Settings())
    assert policy is not None
    assert policy.request_for(image_id("web"), limits()).approval_timeout == "P30D"
    with pytest.raises(RequestInvalid):
        policy.request_for(image_id("web"), limits(max_approval_timeout=timedelta(days=7)))
