"""What azd deploys: the repository root as a Python function app, with .funcignore keeping the
local stack, tests and tooling out of the package and nothing the app imports left behind."""

from __future__ import annotations

import ast
import fnmatch
import functools
import importlib.metadata
import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import yaml

from tests.infra import bicep

REPO = bicep.REPO
APP_FILES = {"function_app.py", "host.json", "requirements.txt"}
APP_PACKAGES = {"triggers", "orchestrators", "entities", "activities", "migration"}
LOCAL_STACK = {
    "gallery_migrate_cli",
    "emulator",
    "devhost",
    "simclock",
    "tests",
    "bench",
    "scripts",
    "docs",
    "infra",
    "devstack",
    "demo",
    ".venv",
    ".local",
}


def patterns() -> list[str]:
    lines = (REPO / ".funcignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str) -> bool:
    """Whether .funcignore excludes a path, with gitignore's rules for the forms the file uses.

    A pattern without a slash (other than a trailing one) matches a name at any depth; a trailing
    slash limits it to directories; anything under an excluded directory is excluded.
    """
    parts = relative.split("/")
    for pattern in patterns():
        directory_only = pattern.endswith("/")
        name = pattern.rstrip("/")
        for depth, part in enumerate(parts):
            is_directory = depth < len(parts) - 1 or (REPO / relative).is_dir()
            if directory_only and not is_directory:
                continue
            if fnmatch.fnmatchcase(part, name):
                return True
    return False


def test_funcignore_uses_only_the_simple_forms() -> None:
    # Re-includes ("!") and anchored or nested paths behave differently across the tools that
    # read .funcignore (azd, Core Tools); plain names and globs behave the same everywhere.
    for pattern in patterns():
        assert not pattern.startswith("!"), pattern
        assert "/" not in pattern.rstrip("/"), pattern


def test_local_stack_and_tooling_stay_out() -> None:
    for name in LOCAL_STACK:
        assert ignored(name + "/x.py"), name
    for name in ("pyproject.toml", "Makefile", "azure.yaml", "local.settings.json"):
        assert ignored(name), name
    assert ignored("migration/__pycache__/rules.cpython-311.pyc")


def test_the_app_ships() -> None:
    for name in APP_FILES:
        assert (REPO / name).is_file(), name
        assert not ignored(name), name
    for package in APP_PACKAGES:
        files = sorted((REPO / package).rglob("*.py"))
        assert files, package
        for path in files:
            assert not ignored(path.relative_to(REPO).as_posix()), path


def test_every_top_level_entry_is_accounted_for() -> None:
    # A new folder at the root must be either part of the app or excluded on purpose.
    shipped = APP_FILES | APP_PACKAGES
    for entry in REPO.iterdir():
        if entry.name in {".git"}:
            continue
        assert entry.name in shipped or ignored(entry.name), f"{entry.name}: ship or ignore it"


def _requirements() -> list[str]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalised (PEP 503)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _installed_with(names: set[str]) -> set[str]:
    """``names`` and every distribution they require, transitively (what ``pip install``
    brings in; environment markers are ignored, which may only add names)."""
    found: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        todo.extend(_name(r) for r in requires if "extra ==" not in r)
    return found


@functools.cache
def _files_of(root: str) -> dict[Path, str]:
    """Each file of the distributions that provide the top-level name ``root`` -> its
    distribution."""
    found = {}
    for dist in importlib.metadata.packages_distributions().get(root, []):
        for file in importlib.metadata.files(dist) or []:
            found[Path(str(file.locate())).resolve()] = _name(dist)
    return found


def _distribution_of(module: str) -> str | None:
    """The distribution that installed ``module``: the one whose files hold the module's."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return None
    return _files_of(module.split(".")[0]).get(Path(spec.origin).resolve())


def test_shipped_code_imports_only_shipped_code_and_requirements() -> None:
    # If migration/ imported simclock (excluded above), the app would fail to start in Azure;
    # if it imported a package that only the dev extra installs, likewise. Namespace packages
    # (azure.*) are told apart by the distribution that installed each imported module.
    installed = _installed_with({_name(r) for r in _requirements()})
    sources = [REPO / "function_app.py"]
    sources += [p for package in APP_PACKAGES for p in (REPO / package).rglob("*.py")]
    modules: set[tuple[str, str]] = set()
    for path in sources:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                if root not in sys.stdlib_module_names and root not in APP_PACKAGES:
                    modules.add((name, str(path.relative_to(REPO))))
    for name, where in sorted(modules):
        dist = _distribution_of(name)
        assert dist in installed, f"{where} imports {name} ({dist}), which Azure will not install"


def test_requirements_txt_holds_pyproject_s_dependencies() -> None:
    # Azure's build installs requirements.txt; `pip install .` installs pyproject's list.
    with open(REPO / "pyproject.toml", "rb") as file:
        declared = tomllib.load(file)["project"]["dependencies"]
    assert sorted(_requirements()) == sorted(declared)


def test_azure_yaml_deploys_the_repository_root_as_a_python_function_app() -> None:
    config = yaml.safe_load((REPO / "azure.yaml").read_text())
    assert config["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    (name, service), *others = config["services"].items()
    assert not others
    assert service["host"] == "function"
    assert service["language"] == "python"
    root = (REPO / service["project"]).resolve()
    assert root == REPO
    assert {p.name for p in root.iterdir()} >= APP_FILES
    # azd finds the app by this tag, and reads its name from SERVICE_<NAME>_NAME.
    function_app = bicep.module(bicep.MAIN, "functionApp")
    assert function_app.body["params"]["serviceName"] == name
    assert f"SERVICE_{name.upper()}_NAME" in bicep.outputs(bicep.MAIN)


def test_hooks_are_not_in_the_package() -> None:
    for path in sorted((REPO / "infra" / "hooks").iterdir()):
        assert ignored(Path(path).relative_to(REPO).as_posix())
