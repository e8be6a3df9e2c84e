"""Reading the azd template in tests: parsed Bicep (pycep-parser), expressions as text, lookups.

The Bicep compiler is a binary download that these machines cannot fetch, so the tests read the
templates with pycep-parser, a Lark grammar for Bicep that yields JSON-like trees. It proves the
files are well-formed Bicep and gives the structure the other tests assert on; it does not type
check, resolve symbols or know resource schemas (bicep_symbols.py covers symbols).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pycep import BicepParser

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MAIN = INFRA / "main.bicep"
PARAMETERS = INFRA / "main.parameters.json"


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@functools.cache
def _parser() -> BicepParser:
    return BicepParser()


@functools.cache
def parse(path: Path) -> dict[str, Any]:
    """The pycep tree of one file: globals, parameters, variables, resources, modules, outputs."""
    return cast(dict[str, Any], _parser().parse(file_path=path))


def app(name: str) -> Path:
    return INFRA / "app" / f"{name}.bicep"


def target_scope(path: Path) -> str:
    """'resourceGroup' (Bicep's default) or what the file's targetScope says."""
    scope = parse(path).get("globals", {}).get("scope", {}).get("value")
    return str(scope) if scope else "resourceGroup"


@dataclass(frozen=True)
class Resource:
    file: Path
    symbol: str
    type: str
    api_version: str
    existing: bool
    body: dict[str, Any]
    """The resource's object, with any loop or condition unwrapped."""
    loop: dict[str, Any] | None
    condition: Any


def _unwrap(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None, Any]:
    # `[for x in xs: {...}]` and `if (c) {...}` nest the body one level down.
    if "loop_type" in config:
        return config["config"], config["loop_type"], config.get("condition")
    if set(config) == {"condition", "config"}:
        return config["config"], None, config["condition"]
    return config, None, None


def resources(path: Path, type_: str | None = None) -> list[Resource]:
    found = []
    for symbol, decl in parse(path).get("resources", {}).items():
        if type_ is not None and decl["type"].lower() != type_.lower():
            continue
        body, loop, condition = _unwrap(decl["config"])
        found.append(
            Resource(
                path,
                symbol,
                decl["type"],
                decl["api_version"],
                decl["existing"],
                body,
                loop,
                condition,
            )
        )
    return found


def resource(path: Path, symbol: str) -> Resource:
    matches = [r for r in resources(path) if r.symbol == symbol]
    assert matches, f"{path.name} declares no resource '{symbol}'"
    return matches[0]


def all_resources(type_: str) -> list[Resource]:
    return [r for path in bicep_files() for r in resources(path, type_)]


@dataclass(frozen=True)
class Module:
    file: Path
    symbol: str
    target: Path
    body: dict[str, Any]
    loop: dict[str, Any] | None
    condition: Any


def modules(path: Path) -> list[Module]:
    found = []
    for symbol, decl in parse(path).get("modules", {}).items():
        assert decl["type"] == "local", f"{path.name}: module {symbol} is not a local file"
        body, loop, condition = _unwrap(decl["config"])
        target = (path.parent / decl["detail"]["path"]).resolve()
        found.append(Module(path, symbol, target, body, loop, condition))
    return found


def module(path: Path, symbol: str) -> Module:
    matches = [m for m in modules(path) if m.symbol == symbol]
    assert matches, f"{path.name} declares no module '{symbol}'"
    return matches[0]


def parameters(path: Path) -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], parse(path).get("parameters", {}))


def variable(path: Path, name: str) -> Any:
    return parse(path)["variables"][name]["value"]


def outputs(path: Path) -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], parse(path).get("outputs", {}))


def decorator(param: dict[str, Any], kind: str) -> Any:
    for item in param.get("decorators", []):
        if item.get("type") == kind:
            return item.get("argument")
    return None


def render(value: Any) -> str:
    """An expression tree as compact text: ``guid(storage.id, principalId, role.value)``.

    Function names come out as pycep spells them (``resource_group``, ``subscription_resource_id``);
    string literals and identifiers both come out bare, as pycep does not tell them apart.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, dict):
        if "function" in value:
            function = value["function"]
            args = [render(v) for v in function.get("parameters", {}).values() if v is not None]
            return f"{function['type']}({', '.join(args)})"
        if "operator" in value:
            operator = value["operator"]
            operands = [render(v) for v in operator.get("operands", {}).values()]
            if operator["type"] == "property_accessor":
                return ".".join(operands)
            if operator["type"] == "index_accessor":
                return f"{operands[0]}[{operands[1]}]"
            return f"{operator['type']}({', '.join(operands)})"
        if value.get("type") == "lambda_expression":
            detail = value["detail"]
            names = [v for k, v in detail.items() if k.startswith("var_")]
            return f"({', '.join(names)}) => {render(detail['expression'])}"
        return "{" + ", ".join(f"{k}: {render(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot render {value!r}")


def function_args(value: Any, name: str) -> list[Any]:
    """The arguments of a call to ``name`` (pycep's spelling), failing if it is not one."""
    assert isinstance(value, dict), f"expected a call to {name}, got {render(value)}"
    assert "function" in value, f"expected a call to {name}, got {render(value)}"
    assert value["function"]["type"] == name, f"expected a call to {name}, got {render(value)}"
    return [v for v in value["function"]["parameters"].values() if v is not None]


def resolve(path: Path, value: Any) -> Any:
    """Follow a bare variable name to the variable's value (one level is all the tests need)."""
    if isinstance(value, str) and value in parse(path).get("variables", {}):
        return variable(path, value)
    return value


_AZD_VALUE = re.compile(r"^\$\{(?P<name>[A-Z0-9_]+)(?:=(?P<default>.*))?\}$")


@dataclass(frozen=True)
class AzdValue:
    """One main.parameters.json entry: the azd environment variable and its default, if any."""

    variable: str
    default: str | None


def azd_parameters() -> dict[str, AzdValue]:
    document = json.loads(PARAMETERS.read_text())
    found = {}
    for name, entry in document["parameters"].items():
        match = _AZD_VALUE.match(str(entry["value"]))
        assert match, f"main.parameters.json: {name} is not a ${{VAR}} or ${{VAR=default}} value"
        found[name] = AzdValue(match["name"], match["default"])
    return found
