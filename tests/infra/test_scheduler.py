"""The Durable Task Scheduler backend: chosen by one parameter, the app unchanged (app settings
override host.json's storage provider), identity-only access with the one data role it needs."""

from __future__ import annotations

from tests.infra import bicep

SCHEDULER = bicep.app("scheduler")
DURABLE_TASK_DATA_CONTRIBUTOR = "0ad04412-c4d5-4796-b79c-f76d14c8d402"


def test_the_backend_is_a_parameter_azure_storage_by_default() -> None:
    declared = bicep.parameters(bicep.MAIN)
    assert declared["durableBackend"]["default"] == "azureStorage"
    azd = bicep.azd_parameters()
    assert azd["durableBackend"].variable == "DURABLE_BACKEND"
    assert azd["schedulerSku"].variable == "DURABLE_TASK_SCHEDULER_SKU"
    module = bicep.parse(bicep.MAIN)["modules"]["scheduler"]
    assert "useScheduler" in bicep.render(module["config"]["condition"])


def test_the_host_is_pointed_at_the_scheduler_by_app_settings_only() -> None:
    settings = bicep.variable(bicep.MAIN, "schedulerSettings")
    rendered = bicep.render(settings)
    assert rendered.startswith("conditional(useScheduler, {")
    for expected in (
        "AzureFunctionsJobHost__extensions__durableTask__storageProvider__type",
        "azureManaged",
        "connectionStringName",
        "Authentication=ManagedIdentity;ClientID=${identity.outputs.clientId}",
        "Endpoint=${scheduler!.outputs.endpoint}",
    ):
        assert expected in rendered, expected
    assert "Authentication=None" not in rendered


def test_the_scheduler_has_the_apps_task_hub_and_grants_the_identity_its_data_role() -> None:
    scheduler = bicep.resource(SCHEDULER, "scheduler")
    assert scheduler.type == "Microsoft.DurableTask/schedulers"
    assert bicep.render(scheduler.body["properties"]["ipAllowlist"]) != "[]"
    hub = bicep.resource(SCHEDULER, "taskHub")
    assert bicep.render(hub.body["name"]) == "taskHubName"
    (assignment,) = bicep.resources(SCHEDULER, "Microsoft.Authorization/roleAssignments")
    assert bicep.render(assignment.body["scope"]) == "scheduler"
    assert bicep.variable(SCHEDULER, "durableTaskDataContributor") == DURABLE_TASK_DATA_CONTRIBUTOR
    name = bicep.render(assignment.body["name"])
    assert name.startswith("guid(scheduler.id, principalId,")
