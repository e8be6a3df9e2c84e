"""Where to talk and with which key: flags, environment variables, or a profile in a file.

``~/.config/gallery-migrate/config.toml`` (``$XDG_CONFIG_HOME`` respected,
``GALLERY_MIGRATE_CONFIG`` names another file) holds named profiles::

    default = "prod"

    [profiles.prod]
    endpoint = "https://gm-prod.azurewebsites.net"
    key_env = "GM_PROD_KEY"        # read the key from this variable (or: key = "...")

    [profiles.local]
    endpoint = "http://127.0.0.1:7071"

The endpoint is ``--endpoint``, else ``GALLERY_MIGRATE_ENDPOINT``, else the profile's
(``--profile``, else ``GALLERY_MIGRATE_PROFILE``, else the file's ``default``), else the local
stack's address. The key is ``--key``, else ``GALLERY_MIGRATE_KEY``, else the profile's; a
profile's key goes only to that profile's endpoint, never to one given by flag or variable.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOCAL_ENDPOINT = "http://127.0.0.1:7071"
ENDPOINT_VAR = "GALLERY_MIGRATE_ENDPOINT"
KEY_VAR = "GALLERY_MIGRATE_KEY"
PROFILE_VAR = "GALLERY_MIGRATE_PROFILE"
CONFIG_VAR = "GALLERY_MIGRATE_CONFIG"


class ConfigError(ValueError):
    """The config file, or the profile asked for, cannot be used (one line says why)."""


@dataclass(frozen=True)
class Target:
    """The API to talk to: its base URL (ending in ``/api``) and the function key, if any."""

    api: str
    key: str | None = None
    profile: str | None = None
    # How the endpoint was chosen, so that a printed command can repeat it.
    endpoint_flag: str | None = None


def config_path(environ: Mapping[str, str]) -> Path:
    if named := environ.get(CONFIG_VAR):
        return Path(named)
    base = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "~")) / ".config")
    return Path(base).expanduser() / "gallery-migrate" / "config.toml"


def api_url(endpoint: str) -> str:
    """The API's base URL from an app's address: ``https://app`` -> ``https://app/api``."""
    endpoint = endpoint.strip().rstrip("/")
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"'{endpoint}' is not an http(s) URL")
    return endpoint if parts.path else f"{endpoint}/api"


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None


def resolve(
    environ: Mapping[str, str],
    *,
    endpoint: str | None = None,
    key: str | None = None,
    profile: str | None = None,
) -> Target:
    """The target from flags (``None`` when not given), the environment and the config file."""
    endpoint_flag = endpoint or environ.get(ENDPOINT_VAR) or None
    key = key or environ.get(KEY_VAR) or None
    path = config_path(environ)
    wanted = profile or environ.get(PROFILE_VAR) or None
    if endpoint_flag is not None and wanted is None:
        return Target(api=api_url(endpoint_flag), key=key, endpoint_flag=endpoint_flag)
    config = _read(path)
    wanted = wanted or config.get("default")
    if wanted is None:
        return Target(api=api_url(endpoint_flag or LOCAL_ENDPOINT), key=key)
    profiles = config.get("profiles") or {}
    found = profiles.get(wanted) if isinstance(profiles, dict) else None
    if not isinstance(found, dict):
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else ""
        raise ConfigError(
            f"no profile '{wanted}' in {path}" + (f" (it has: {known})" if known else "")
        )
    if endpoint_flag is None:
        if not isinstance(found.get("endpoint"), str):
            raise ConfigError(f"profile '{wanted}' in {path} has no endpoint")
        if key is None:
            key = _profile_key(found, environ, wanted, path)
    return Target(
        api=api_url(endpoint_flag or str(found["endpoint"])),
        key=key,
        profile=str(wanted),
        endpoint_flag=endpoint_flag,
    )


def _profile_key(
    profile: dict[str, Any], environ: Mapping[str, str], name: str, path: Path
) -> str | None:
    if isinstance(variable := profile.get("key_env"), str):
        if not environ.get(variable):
            raise ConfigError(f"profile '{name}' in {path} reads its key from ${variable}: unset")
        return environ[variable]
    value = profile.get("key")
    return value if isinstance(value, str) and value else None
