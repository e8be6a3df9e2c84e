"""Least privilege: custom roles with exactly the migration's actions, each assigned at the
narrowest scope that works, and every role assignment named guid(scope, principal, role)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra import bicep

ROLES = bicep.app("roles")

# docs/deploy.md explains each; azure-facts.md section 5 lists them. tests/e2e/test_permissions.py
# checks them against what a full run asks of ARM.
LOCATIONS_READ = "Microsoft.Resources/subscriptions/locations/read"
IMAGE_SOURCE = {"Microsoft.Compute/images/read", "Microsoft.Compute/images/delete"}
GALLERY_PUBLISHER = {
    "Microsoft.Compute/galleries/read",
    "Microsoft.Compute/galleries/images/read",
    "Microsoft.Compute/galleries/images/write",
    "Microsoft.Compute/galleries/images/versions/read",
    "Microsoft.Compute/galleries/images/versions/write",
}
# Reads above any resource group: gallery operations' status (image deletes are not polled),
# scale sets (is a source still in use?), disk encryption sets, and ARM's locations list (the one
# action outside Microsoft.Compute).
OPERATION_READER = {
    "Microsoft.Compute/locations/capsOperations/read",
    "Microsoft.Compute/virtualMachineScaleSets/read",
    "Microsoft.Compute/diskEncryptionSets/read",
    LOCATIONS_READ,
}

BUILT_IN = {
    "storageBlobDataOwner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "storageQueueDataContributor": "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    "storageTableDataContributor": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
}
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"


def custom_roles() -> dict[str, set[str]]:
    """Role symbol -> its actions, with variables resolved."""
    found = {}
    for role in bicep.resources(ROLES, "Microsoft.Authorization/roleDefinitions"):
        properties = role.body["properties"]
        assert properties["type"] == "CustomRole"
        (permission,) = properties["permissions"]
        assert permission["notActions"] == []
        assert permission["dataActions"] == []
        assert permission["notDataActions"] == []
        actions = bicep.resolve(ROLES, permission["actions"])
        assert isinstance(actions, list)
        assert len(actions) == len(set(actions)), f"{role.symbol} repeats an action"
        found[role.symbol] = set(actions)
    return found


def test_custom_roles_hold_exactly_the_migrations_actions() -> None:
    assert custom_roles() == {
        "imageSource": IMAGE_SOURCE,
        "galleryPublisher": GALLERY_PUBLISHER,
        "operationReader": OPERATION_READER,
    }


def test_no_role_grants_a_wildcard_or_more_than_compute_and_the_locations_list() -> None:
    for actions in custom_roles().values():
        for action in actions:
            assert "*" not in action
            assert action.startswith("Microsoft.Compute/") or action == LOCATIONS_READ
            assert action.endswith(("/read", "/write", "/delete")), action


def test_custom_roles_have_unique_names_and_stable_ids() -> None:
    for role in bicep.resources(ROLES, "Microsoft.Authorization/roleDefinitions"):
        # Role names are unique per tenant: include the environment and its resource token.
        assert "${roleNameSuffix}" in role.body["properties"]["roleName"]
        args = [bicep.render(a) for a in bicep.function_args(role.body["name"], "guid")]
        assert args[:2] == ["subscription().id", "roleNameSuffix"]
        assert bicep.resolve(ROLES, role.body["properties"]["assignableScopes"]) == (
            "assignableScopes"
        )


ASSIGNMENT_FILES = sorted(
    {r.file for r in bicep.all_resources("Microsoft.Authorization/roleAssignments")}
)


@pytest.mark.parametrize("path", ASSIGNMENT_FILES, ids=lambda p: p.name)
def test_assignments_are_named_guid_of_scope_principal_role(path: Path) -> None:
    for assignment in bicep.resources(path, "Microsoft.Authorization/roleAssignments"):
        args = bicep.function_args(assignment.body["name"], "guid")
        assert len(args) == 3, f"{assignment.symbol}: guid needs exactly scope, principal, role"
        scope, principal, role = (bicep.render(a) for a in args)
        target = assignment.body.get("scope")
        if target is not None:
            expected_scope = f"{bicep.render(target)}.id"
        elif bicep.target_scope(path) == "subscription":
            expected_scope = "subscription().id"
        else:
            expected_scope = "resource_group().id"
        assert scope == expected_scope, assignment.symbol
        properties = assignment.body["properties"]
        assert principal == bicep.render(properties["principalId"]), assignment.symbol
        assert role == bicep.render(properties["roleDefinitionId"]), assignment.symbol
        # A new identity may not have replicated yet: say what it is, skip the directory lookup.
        assert properties["principalType"] == "ServicePrincipal", assignment.symbol


def test_the_gallery_role_is_assigned_on_the_gallery_itself() -> None:
    (assignment,) = bicep.resources(
        bicep.app("gallery-access"), "Microsoft.Authorization/roleAssignments"
    )
    assert assignment.body["scope"] == "gallery"
    gallery = bicep.resource(bicep.app("gallery-access"), "gallery")
    assert gallery.existing
    assert gallery.type == "Microsoft.Compute/galleries"


def _module_role(symbol: str) -> str:
    return bicep.render(bicep.module(bicep.MAIN, symbol).body["params"]["roleDefinitionName"])


def test_main_assigns_each_role_at_its_scope() -> None:
    cases = {
        # module symbol: (role output, target file, loop source)
        "galleryAccess": ("galleryPublisherRoleName", "gallery-access", "galleryIds"),
        "imageGroupAccess": (
            "imageSourceRoleName",
            "resource-group-access",
            "sourceResourceGroupScopes",
        ),
        "imageSubscriptionAccess": (
            "imageSourceRoleName",
            "subscription-access",
            "sourceSubscriptionScopes",
        ),
        "operationAccess": (
            "operationReaderRoleName",
            "subscription-access",
            "involvedSubscriptionIds",
        ),
    }
    for symbol, (role, target, source) in cases.items():
        module = bicep.module(bicep.MAIN, symbol)
        assert _module_role(symbol) == f"roles.outputs.{role}", symbol
        assert module.target == bicep.app(target), symbol
        assert module.loop is not None, symbol
        assert module.loop["detail"]["array_name"] == source, symbol
        assert bicep.render(module.body["params"]["principalId"]) == (
            "identity.outputs.principalId"
        )


def test_image_scopes_split_into_groups_and_subscriptions() -> None:
    groups = bicep.render(bicep.variable(bicep.MAIN, "sourceResourceGroupScopes"))
    subscriptions = bicep.render(bicep.variable(bicep.MAIN, "sourceSubscriptionScopes"))
    assert "greater_than_or_equals(length(split(s, /)), 5)" in groups
    assert "less_than(length(split(s, /)), 5)" in subscriptions
    # With no scopes given, the app may touch images in the gallery's resource group only.
    default = bicep.render(bicep.variable(bicep.MAIN, "sourceScopes"))
    assert default.startswith(
        "conditional(empty(requestedSourceScopes), [galleryResourceGroupIds[0]]"
    )


def test_host_roles_are_the_built_in_data_roles() -> None:
    path = bicep.app("host-access")
    assert bicep.variable(path, "storageRoles") == BUILT_IN
    assert bicep.variable(path, "monitoringMetricsPublisher") == MONITORING_METRICS_PUBLISHER
    scopes = {
        a.symbol: a.body["scope"]
        for a in bicep.resources(path, "Microsoft.Authorization/roleAssignments")
    }
    assert scopes == {"storageAssignments": "storage", "telemetryAssignment": "applicationInsights"}


def test_nothing_grants_a_broad_built_in_role() -> None:
    # Owner, Contributor, User Access Administrator, Compute Gallery Artifacts Publisher,
    # Virtual Machine Contributor: none may appear anywhere in the template.
    broad = {
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "85a2d0d9-2eba-4c9c-b355-11c2cc0788ab",
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
    }
    for path in bicep.bicep_files():
        text = path.read_text().lower()
        assert not any(role in text for role in broad), path.name
