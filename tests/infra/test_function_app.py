"""The Function App: Flex Consumption, Python 3.11, identity-only storage and telemetry, and the
app settings the code reads (and none that would point it away from Azure)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from migration.config.policy import DEFAULT_OPT_IN_TAG
from migration.config.settings import Settings
from migration.domain.durations import parse_duration
from migration.domain.request import DeleteSource
from tests.infra import bicep

FUNCTION_APP = bicep.app("function-app")
STORAGE = bicep.app("storage")
MONITORING = bicep.app("monitoring")

# What migration/config/settings.py and policy.py read, with the defaults the app assumes.
MIGRATOR_SETTINGS = {
    "ALLOWED_SCOPES",
    "MAX_DATA_DISK_GB",
    "DEFINITION_PUBLISHER",
    "APPROVAL_TIMEOUT",
    "MAX_APPROVAL_TIMEOUT",
    "REPLICATION_TIMEOUT",
    "REPLICATION_POLL_MIN",
    "REPLICATION_POLL_MAX",
    "MAX_IMAGES_PER_REQUEST",
    "ARM_BUDGET",
    "MAX_CONCURRENT_VERSIONS",
    "DEFAULT_END_OF_LIFE",
    "DELETION_BLOCK",
    "INCLUDE_DURABLE_LINKS",
}
EVENTGRID_SETTINGS = {
    "EVENTGRID_GALLERY_ID",
    "EVENTGRID_TARGET_REGIONS",
    "EVENTGRID_DELETE_SOURCE",
    "EVENTGRID_APPROVAL_TIMEOUT",
    "EVENTGRID_STORAGE_ACCOUNT_TYPE",
    "EVENTGRID_OPT_IN",
    "EVENTGRID_OPT_IN_TAG",
}
# Approvals people see: notifications, signed links, the decision page. The secrets among them
# are Key Vault references (tests/infra/test_key_vault.py).
APPROVAL_SETTINGS = {
    "PUBLIC_BASE_URL",
    "APPROVAL_LINK_KEY",
    "NOTIFY_TEAMS_WEBHOOKS",
    "NOTIFY_SLACK_WEBHOOKS",
    "NOTIFY_JSON_WEBHOOKS",
    "APPROVAL_REMINDER_INTERVAL",
    "APPROVAL_ESCALATION_BEFORE",
    "NOTIFY_MAX_IMAGES",
    "APPROVAL_REQUIRE_SIGN_IN",
}
SECRET_SETTINGS = {
    "APPROVAL_LINK_KEY",
    "NOTIFY_TEAMS_WEBHOOKS",
    "NOTIFY_SLACK_WEBHOOKS",
    "NOTIFY_JSON_WEBHOOKS",
}
# Read by the app, set by the platform (App Service Authentication sets it when it is on).
PLATFORM_SETTINGS = {"WEBSITE_AUTH_ENABLED"}
# Each template default, against the app's own (Settings and the Event Grid policy state each once).
_APP = Settings()
DEFAULTS: dict[str, object] = {
    "maxDataDiskGb": _APP.max_data_disk_gb,
    "approvalTimeout": _APP.default_approval_timeout,
    "maxApprovalTimeout": _APP.max_approval_timeout,
    "replicationTimeout": _APP.replication_timeout,
    "replicationPollMin": _APP.poll_min,
    "replicationPollMax": _APP.poll_max,
    "maxImagesPerRequest": _APP.max_images_per_request,
    "maxConcurrentVersions": _APP.max_concurrent_versions,
    "defaultEndOfLife": _APP.default_end_of_life,
    "deletionBlock": _APP.deletion_block.value,
    "eventGridDeleteSource": DeleteSource.AFTER_APPROVAL.value,
    "eventGridOptIn": "tag",
    "eventGridOptInTag": DEFAULT_OPT_IN_TAG,
    "approvalReminderInterval": _APP.reminder_interval,
    "approvalEscalationBefore": _APP.escalation_before,
    "notifyMaxImages": _APP.notify_max_images,
    "approvalRequireSignIn": "false",
}
# Settings that must never reach Azure: ARM_ENDPOINT/ARM_TOKEN point the app at the local
# emulator; Flex Consumption rejects the worker-runtime and extension-version settings (the
# runtime is in functionAppConfig); a plain AzureWebJobsStorage would be a connection string.
FORBIDDEN = {
    "ARM_ENDPOINT",
    "ARM_TOKEN",
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_EXTENSION_VERSION",
    "AzureWebJobsStorage",
    "WEBSITE_RUN_FROM_PACKAGE",
}


def _object(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict), bicep.render(value)
    return value


def migrator_settings() -> dict[str, Any]:
    return _object(bicep.variable(bicep.MAIN, "migratorSettings"))


def eventgrid_settings() -> dict[str, Any]:
    # `empty(eventGridGalleryId) ? {} : {...}`: the whole policy is off unless a gallery is given.
    value = bicep.variable(bicep.MAIN, "eventGridSettings")["operator"]
    assert value["type"] == "conditional"
    operands = value["operands"]
    assert bicep.render(operands["condition"]) == "empty(eventGridGalleryId)"
    assert operands["true_value"] == {}
    return _object(operands["false_value"])


def approval_settings() -> dict[str, Any]:
    """``union(keyVault.outputs.references, {...})``: the secrets' references, then the rest."""
    union = bicep.function_args(bicep.variable(bicep.MAIN, "approvalSettings"), "union")
    assert bicep.render(union[0]) == "keyVault.outputs.references"
    references = bicep.outputs(bicep.app("key-vault"))["references"]["value"]
    return {**_object(references), **_object(union[1])}


def host_settings() -> dict[str, Any]:
    return _object(bicep.variable(FUNCTION_APP, "hostSettings"))


def test_plan_is_flex_consumption_on_linux() -> None:
    plan = bicep.resource(FUNCTION_APP, "plan")
    assert plan.type == "Microsoft.Web/serverfarms"
    assert plan.body["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert plan.body["properties"]["reserved"] is True


def test_site_runs_python_3_11_on_the_plan_as_the_user_assigned_identity() -> None:
    site = bicep.resource(FUNCTION_APP, "site")
    assert site.type == "Microsoft.Web/sites"
    assert site.body["kind"] == "functionapp,linux"
    assert bicep.render(site.body["properties"]["serverFarmId"]) == "plan.id"
    assert site.body["properties"]["httpsOnly"] is True
    config = site.body["properties"]["functionAppConfig"]
    assert config["runtime"] == {"name": "python", "version": "3.11"}
    assert site.body["identity"]["type"] == "UserAssigned"
    deployment = config["deployment"]["storage"]
    assert deployment["type"] == "blobContainer"
    assert deployment["authentication"] == {
        "type": "UserAssignedIdentity",
        "userAssignedIdentityResourceId": "identityId",
    }
    assert bicep.render(site.body["tags"]).startswith("union(tags, {'azd-service-name': ")


def test_runtime_matches_the_project() -> None:
    pyproject = (bicep.REPO / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11"' in pyproject
    assert (bicep.REPO / "function_app.py").is_file()


def test_basic_auth_publishing_is_off() -> None:
    policies = bicep.resources(
        FUNCTION_APP, "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
    )
    assert {p.body["name"]: p.body["properties"]["allow"] for p in policies} == {
        "ftp": False,
        "scm": False,
    }


def test_storage_accepts_identities_only() -> None:
    storage = bicep.resource(STORAGE, "storage")
    properties = storage.body["properties"]
    assert properties["allowSharedKeyAccess"] is False
    assert properties["defaultToOAuthAuthentication"] is True
    assert properties["allowBlobPublicAccess"] is False
    assert properties["minimumTlsVersion"] == "TLS1_2"
    assert properties["supportsHttpsTrafficOnly"] is True


def test_host_storage_is_identity_based_for_blob_queue_and_table() -> None:
    settings = host_settings()
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == "identityClientId"
    for service in ("blob", "queue", "table"):
        uri = bicep.render(settings[f"AzureWebJobsStorage__{service}ServiceUri"])
        assert uri == f"storage.properties.primaryEndpoints.{service}"
    assert not any("key" in k.lower() or "connectionstring" in k.lower() for k in settings)


def test_app_knows_its_identity_and_sends_telemetry_with_entra_auth() -> None:
    settings = host_settings()
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == (
        "ClientId=${identityClientId};Authorization=AAD"
    )
    component = bicep.resource(MONITORING, "applicationInsights")
    assert component.body["properties"]["DisableLocalAuth"] is True
    settings_resource = bicep.resource(FUNCTION_APP, "settings")
    assert settings_resource.body["name"] == "appsettings"
    assert bicep.render(settings_resource.body["properties"]) == (
        "union(appSettings, hostSettings, linkSettings)"
    )


def test_app_settings_are_exactly_what_the_app_reads() -> None:
    assert set(migrator_settings()) == MIGRATOR_SETTINGS
    assert set(eventgrid_settings()) == EVENTGRID_SETTINGS
    assert set(approval_settings()) == APPROVAL_SETTINGS
    # Empty values are dropped before they reach the site (EVENTGRID_DELETE_SOURCE='' is invalid).
    app_settings = bicep.render(bicep.variable(bicep.MAIN, "appSettings"))
    parts = "migratorSettings, eventGridSettings, approvalSettings, schedulerSettings"
    assert f"filter(items(union({parts}))" in app_settings
    assert "not(empty(setting.value))" in app_settings


def test_app_settings_cover_every_setting_the_code_reads() -> None:
    # Read the names straight from the app, so a setting added there fails here until exposed.
    read = set()
    for module in ("settings", "policy"):
        source = (bicep.REPO / "migration" / "config" / f"{module}.py").read_text()
        read |= set(re.findall(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"', source))
    assert read, "found no setting names in migration/config/settings.py and policy.py"
    assert read == MIGRATOR_SETTINGS | EVENTGRID_SETTINGS | APPROVAL_SETTINGS | PLATFORM_SETTINGS


def test_approval_settings_cover_what_the_app_reads_for_them() -> None:
    # The settings block of issue 13 alone (the test above also fails for settings of others).
    source = (bicep.REPO / "migration" / "config" / "settings.py").read_text()
    start = source.index("            # -- approvals people see")
    block = source[start : source.index("\n        )\n", start)]
    read = set(re.findall(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"', block))
    assert read == APPROVAL_SETTINGS | PLATFORM_SETTINGS
    assert set(approval_settings()) == APPROVAL_SETTINGS
    # Each non-secret one from the azd variable of its name; the secrets through Key Vault.
    azd = bicep.azd_parameters()
    for key, value in approval_settings().items():
        if key in SECRET_SETTINGS:
            assert "@Microsoft.KeyVault(SecretUri=" in bicep.render(value), key
            continue
        parameter = re.sub(r"^string\((\w+)\)$", r"\1", bicep.render(value))
        assert azd[parameter].variable == key, f"{key} is fed from ${{{azd[parameter].variable}}}"


def test_links_lead_to_the_sites_host_unless_a_public_address_is_given() -> None:
    value = bicep.variable(FUNCTION_APP, "linkSettings")
    assert bicep.render(value) == (
        "conditional(contains(appSettings, PUBLIC_BASE_URL), {}, "
        "{PUBLIC_BASE_URL: https://${site.properties.defaultHostName}})"
    )


def test_settings_defaults_match_the_app() -> None:
    declared = bicep.parameters(bicep.MAIN)
    for name, default in DEFAULTS.items():
        value = declared[name]["default"]
        if isinstance(default, timedelta):
            value = parse_duration(str(value))
        assert value == default, name


def test_each_setting_is_set_from_the_azd_variable_of_the_same_name() -> None:
    # `azd env set APPROVAL_TIMEOUT P7D` is all a user needs to know.
    azd = bicep.azd_parameters()
    for key, value in {**migrator_settings(), **eventgrid_settings()}.items():
        parameter = re.sub(r"^string\((\w+)\)$", r"\1", bicep.render(value))
        if parameter == "effectiveAllowedScopes":
            parameter = "allowedScopes"
        assert azd[parameter].variable == key, f"{key} is fed from ${{{azd[parameter].variable}}}"


def test_nothing_points_the_app_away_from_azure() -> None:
    keys = set(migrator_settings()) | set(eventgrid_settings()) | set(host_settings())
    assert not keys & FORBIDDEN
    for path in [*bicep.bicep_files(), bicep.PARAMETERS]:
        assert "ARM_ENDPOINT" not in path.read_text(), path.name


def test_task_hub_name_comes_from_host_json_only() -> None:
    host = json.loads((bicep.REPO / "host.json").read_text())
    hub = host["extensions"]["durableTask"]["hubName"]
    assert hub == "GalleryMigrator"
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{2,44}", hub), "hub names are 3-45 letters/digits"
    # No app setting overrides it, so Azure uses the same hub as local runs; with the Durable
    # Task Scheduler, its task hub resource carries the same name.
    for path in bicep.bicep_files():
        assert "durabletask__hubname" not in path.read_text().lower(), path.name
    assert bicep.variable(bicep.MAIN, "taskHubName") == hub
    # The deployment guide names the hub's tables after it.
    guide = (bicep.REPO / "docs" / "deploy.md").read_text()
    assert f"{hub}Instances" in guide
    assert f"{hub}History" in guide
