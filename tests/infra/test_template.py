"""The template hangs together: every Bicep file parses, modules get the parameters they declare,
names resolve, and main.parameters.json feeds main.bicep with matching defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra import bicep
from tests.infra.bicep_symbols import symbols

FILES = bicep.bicep_files()


def test_the_template_has_its_files() -> None:
    names = {path.relative_to(bicep.INFRA).as_posix() for path in FILES}
    assert "main.bicep" in names
    assert {"app/function-app.bicep", "app/roles.bicep", "app/event-grid.bicep"} <= names
    assert bicep.target_scope(bicep.MAIN) == "subscription"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(bicep.INFRA).as_posix())
def test_each_file_parses(path: Path) -> None:
    tree = bicep.parse(path)
    assert tree.get("resources") or tree.get("modules"), f"{path.name} declares nothing"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(bicep.INFRA).as_posix())
def test_every_name_is_declared_and_every_parameter_used(path: Path) -> None:
    found = symbols(path.read_text())
    assert not found.used - found.declared, "used but never declared"
    assert not (found.parameters | found.variables) - found.used, "declared but never used"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(bicep.INFRA).as_posix())
def test_modules_are_called_with_the_parameters_they_declare(path: Path) -> None:
    source = path.read_text()
    for module in bicep.modules(path):
        assert module.target.is_file(), f"{module.symbol}: {module.target} does not exist"
        declared = bicep.parameters(module.target)
        required = {name for name, p in declared.items() if p.get("default") is None}
        given = set(module.body.get("params", {}))
        assert given <= set(declared), f"{module.symbol}: unknown params {given - set(declared)}"
        assert required <= given, f"{module.symbol}: missing params {required - given}"
        # Every `<module>.outputs.<name>` the caller reads must be an output of the module.
        produced = set(bicep.outputs(module.target))
        read = set(re.findall(rf"\b{module.symbol}\.outputs\.(\w+)", source))
        assert read <= produced, f"{module.symbol}: no such outputs {read - produced}"


def test_module_scopes_match_their_target_scope() -> None:
    for module in bicep.modules(bicep.MAIN):
        scope = bicep.render(module.body.get("scope"))
        if bicep.target_scope(module.target) == "subscription":
            assert scope == "null" or scope.startswith("subscription("), module.symbol
        else:
            # From a subscription-scope file, a resource-group module needs an explicit group.
            assert scope == "rg" or scope.startswith("resource_group("), module.symbol


def test_parameters_file_feeds_main_bicep() -> None:
    declared = bicep.parameters(bicep.MAIN)
    given = bicep.azd_parameters()
    assert set(given) <= set(declared), f"unknown: {set(given) - set(declared)}"
    # azd generates a parameter whose metadata says so (and keeps it in the environment's
    # config), so such a parameter has neither a default nor an entry in the file.
    generated = {
        name
        for name, p in declared.items()
        if (bicep.decorator(p, "metadata") or {}).get("azd", {}).get("type") == "generate"
    }
    assert not generated & set(given), "a generated parameter must not be fed from the file"
    required = {name for name, p in declared.items() if p.get("default") is None} - generated
    assert required <= set(given), f"missing: {required - set(given)}"
    # azd passes an unset ${VAR} as "", which would override the Bicep default: each optional
    # parameter therefore repeats its default in main.parameters.json, and the two must agree.
    for name, value in given.items():
        default = declared[name].get("default")
        if default is None:
            continue
        assert value.default is not None, f"{name}: ${{{value.variable}}} has no default"
        assert value.default == str(default), f"{name}: {value.default!r} != {default!r}"
        allowed = bicep.decorator(declared[name], "allowed")
        if allowed is not None:
            assert default in allowed, name


def test_every_resource_pins_a_released_api_version() -> None:
    for path in FILES:
        for resource in bicep.resources(path):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", resource.api_version), (
                f"{path.name}: {resource.symbol} uses {resource.api_version or 'no version'}"
            )


def test_regions_come_from_parameters() -> None:
    # Only Event Grid's system topic has a fixed location ('global'); everything else follows the
    # azd environment's location.
    for path in FILES:
        for resource in bicep.resources(path):
            location = resource.body.get("location")
            if location is None or resource.existing:
                continue
            assert location in {"location", "global"}, f"{path.name}: {resource.symbol}"
