"""Importing an app's function_app.py the way the Python worker indexes a v2 app.

The worker puts the script root on ``sys.path``, imports ``function_app``, takes the
``FunctionRegister`` instance it defines (``func.FunctionApp`` or ``df.DFApp``) and calls its
``get_functions()``. devhost does the same, with two additions that only matter when several hosts
load apps in one process (tests): the modules a load imported from the app directory are dropped
from ``sys.modules`` before the next load, so module-level state and blueprints are built afresh;
and the app's settings are applied to ``os.environ`` for the life of the host and restored
afterwards. Modules that were imported before the first load (the test's own, devhost's, or a
package the app shares with its tests) are left alone: dropping them would give the process two
copies of each class.
"""

from __future__ import annotations

import importlib
import os
import site
import sys
import sysconfig
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import azure.functions as func
from azure.functions.decorators.function_app import Function

APP_MODULE = "function_app"

# Loads touch process-wide state (sys.modules, sys.path, os.environ): one at a time.
_LOAD_LOCK = threading.Lock()
# Hosts alive per app directory: its sys.path entry and modules go when the last one stops.
_LIVE: dict[Path, int] = {}
# What the last load of each app directory added: module names, and whether it added the path.
_ADDED_MODULES: dict[Path, set[str]] = {}
_ADDED_PATH: set[Path] = set()


class AppLoadError(Exception):
    pass


@dataclass
class LoadedApp:
    app_dir: Path
    module: ModuleType
    app: func.FunctionRegister
    functions: list[Function]


def _is_under(path: str | None, root: Path) -> bool:
    if not path:
        return False
    try:
        Path(path).resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


# Installed packages can sit inside the app directory (a .venv there is common); they are the
# process's, not the app's, and a second copy of pydantic or azure-core breaks every isinstance.
_INSTALLED = tuple(
    Path(p).resolve() for p in {sys.prefix, sysconfig.get_paths()["purelib"], *site.PREFIXES}
)


def _app_module(path: str | None, root: Path) -> bool:
    return _is_under(path, root) and not any(_is_under(path, prefix) for prefix in _INSTALLED)


def _forget_app_modules(root: Path) -> None:
    for name in _ADDED_MODULES.pop(root, set()) | {APP_MODULE}:
        module = sys.modules.pop(name, None)
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        # A package that stays keeps its submodule as an attribute, and `from package import
        # child` would hand out the old one instead of importing it afresh.
        if parent is not None and module is not None and getattr(parent, child, None) is module:
            delattr(parent, child)


def load_app(app_dir: Path) -> LoadedApp:
    """Import ``app_dir/function_app.py`` fresh and index its functions."""
    root = app_dir.resolve()
    script = root / f"{APP_MODULE}.py"
    if not script.exists():
        raise AppLoadError(f"{script} does not exist")
    with _LOAD_LOCK:
        _forget_app_modules(root)
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
            _ADDED_PATH.add(root)
        importlib.invalidate_caches()
        before = set(sys.modules)
        try:
            module = importlib.import_module(APP_MODULE)
        except Exception as error:
            raise AppLoadError(f"importing {script} failed: {error!r}") from error
        finally:
            _ADDED_MODULES[root] = {
                name
                for name in set(sys.modules) - before
                if _app_module(getattr(sys.modules[name], "__file__", None), root)
            }
        apps = [
            value for value in vars(module).values() if isinstance(value, func.FunctionRegister)
        ]
        if len(apps) != 1:
            raise AppLoadError(
                f"{script} must define exactly one FunctionApp (found {len(apps)}), "
                "as the Python worker requires"
            )
        app = apps[0]
        # get_functions() validates (unique names, one trigger each) and may be called only once
        # per app object: it records the names it has seen.
        functions = app.get_functions()
        _LIVE[root] = _LIVE.get(root, 0) + 1
    return LoadedApp(app_dir=root, module=module, app=app, functions=functions)


def release_app(loaded: LoadedApp) -> None:
    """Undo what a load put into the process (the module cache entries and the sys.path entry)."""
    with _LOAD_LOCK:
        remaining = _LIVE.get(loaded.app_dir, 1) - 1
        if remaining > 0:
            _LIVE[loaded.app_dir] = remaining
            return
        _LIVE.pop(loaded.app_dir, None)
        if sys.modules.get(APP_MODULE) is loaded.module:
            _forget_app_modules(loaded.app_dir)
        if loaded.app_dir in _ADDED_PATH and str(loaded.app_dir) in sys.path:
            sys.path.remove(str(loaded.app_dir))
            _ADDED_PATH.discard(loaded.app_dir)


@contextmanager
def applied_settings(settings: Mapping[str, str]) -> Iterator[None]:
    """Set ``settings`` in os.environ, restoring the previous values on exit."""
    previous: dict[str, str | None] = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
