"""Function keys as the Functions host keeps them (opt-in): a secrets folder in its own format.

The host's ``FileSystemSecretsRepository`` keeps ``host.json`` (the master key, the host's
function keys, the system keys of extensions) and one ``<function name, lower case>.json`` per
function (its own keys), serialized as ``ScriptSecretSerializerV1`` writes them::

    {"masterKey": {"name": "master", "value": "...", "encrypted": false},
     "functionKeys": [{"name": "default", "value": "...", "encrypted": false}],
     "systemKeys": [{"name": "durabletask_extension", "value": "...", "encrypted": false}],
     "hostName": null, "instanceId": null, "source": "runtime", "decryptionKeyId": null}

    {"keys": [{"name": "default", "value": "...", "encrypted": false}], ...}

As the host's ``SecretManager`` does, missing pieces are created and written back when first
needed: a function's file with a ``default`` key, an extension's ``<name>_extension`` system key.
:meth:`HostKeys.authorize` is ``SecretManager.GetAuthorizationLevelAsync``: the master key grants
admin, a system key system (named), a host function key or one of the function's own keys
function. Key values are URL-safe base64 of 40 random bytes, the shape of the host's
``SecretGenerator`` (without its identifiable-secret checksum). Encrypted keys (``"encrypted":
true``, protected with the site's data-protection key) cannot be read here.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

HOST_FILE = "host.json"
MASTER_KEY_NAME = "master"
DEFAULT_KEY_NAME = "default"


class AuthLevel(Enum):
    ANONYMOUS = "anonymous"
    FUNCTION = "function"
    SYSTEM = "system"
    ADMIN = "admin"


class KeysError(ValueError):
    """A secrets folder devhost cannot use."""


def new_key_value() -> str:
    return base64.urlsafe_b64encode(os.urandom(40)).decode("ascii")


def system_key_name(extension: str) -> str:
    """``DefaultScriptWebHookProvider.GetKeyName``: the key an extension's webhook requires."""
    return f"{extension}_extension".lower()


def _key(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value, "encrypted": False}


def _read_keys(entries: Any, where: str) -> dict[str, str]:
    if not isinstance(entries, list):
        raise KeysError(f"{where}: expected a list of keys")
    keys: dict[str, str] = {}
    for entry in entries:
        name, value = _read_key(entry, where)
        keys[name] = value
    return keys


def _read_key(entry: Any, where: str) -> tuple[str, str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise KeysError(f"{where}: a key is {{'name', 'value', 'encrypted'}}, not {entry!r}")
    if entry.get("encrypted"):
        raise KeysError(
            f"{where}: key {entry['name']!r} is encrypted with the site's data-protection key; "
            'devhost reads plain keys ("encrypted": false)'
        )
    value = entry.get("value")
    if not isinstance(value, str) or not value:
        raise KeysError(f"{where}: key {entry['name']!r} has no value")
    return entry["name"], value


def _metadata() -> dict[str, Any]:
    # ScriptSecrets' other fields; a local host has no site name or instance id.
    return {"hostName": None, "instanceId": None, "source": "runtime", "decryptionKeyId": None}


@dataclass
class HostKeys:
    """The keys in one secrets folder, written back when the host creates one."""

    directory: Path
    master: str
    function_keys: dict[str, str]
    system_keys: dict[str, str]
    _functions: dict[str, dict[str, str]] = field(default_factory=dict)

    # -- the folder ----------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path) -> HostKeys:
        directory = Path(directory)
        path = directory / HOST_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise KeysError(f"{path} does not exist (generate a secrets folder first)") from None
        except (OSError, ValueError) as error:
            raise KeysError(f"{path}: {error}") from error
        # ScriptSecretSerializerV1.CanSerialize: the shape that tells host secrets apart.
        if not isinstance(data, dict) or not isinstance(data.get("masterKey"), dict):
            raise KeysError(f"{path}: not host secrets (no masterKey object)")
        _, master = _read_key(data["masterKey"], str(path))
        return cls(
            directory=directory,
            master=master,
            function_keys=_read_keys(data.get("functionKeys"), f"{path} functionKeys"),
            system_keys=_read_keys(data.get("systemKeys") or [], f"{path} systemKeys"),
        )

    @classmethod
    def generate(cls, directory: Path) -> HostKeys:
        """A new folder's host secrets, as the host creates them: a master key and a ``default``
        function key (an existing ``host.json`` is kept)."""
        directory = Path(directory)
        if (directory / HOST_FILE).exists():
            return cls.load(directory)
        keys = cls(
            directory=directory,
            master=new_key_value(),
            function_keys={DEFAULT_KEY_NAME: new_key_value()},
            system_keys={},
        )
        keys._save_host()
        return keys

    @classmethod
    def open(cls, directory: Path, *, generate: bool = False) -> HostKeys:
        return cls.generate(directory) if generate else cls.load(directory)

    # -- keys ----------------------------------------------------------------------------------

    def system_key(self, name: str) -> str:
        """The named system key, created and saved if missing (``GetOrCreateExtensionKey``)."""
        if name not in self.system_keys:
            self.system_keys[name] = new_key_value()
            self._save_host()
        return self.system_keys[name]

    def keys_of(self, function_name: str) -> dict[str, str]:
        """A function's own keys; a ``default`` one is created and saved if it has no file."""
        name = function_name.lower()
        if name not in self._functions:
            self._functions[name] = self._function_file(self.directory / f"{name}.json")
        return self._functions[name]

    def authorize(
        self, value: str, function_name: str | None = None
    ) -> tuple[str | None, AuthLevel]:
        """The key's name and level: master, then system keys, host function keys, then the
        function's own keys (when the request is for a function); no match is anonymous."""
        if _same(value, self.master):
            return MASTER_KEY_NAME, AuthLevel.ADMIN
        for keys, level in (
            (self.system_keys, AuthLevel.SYSTEM),
            (self.function_keys, AuthLevel.FUNCTION),
        ):
            for name, key in keys.items():
                if _same(value, key):
                    return name, level
        if function_name is not None:
            for name, key in self.keys_of(function_name).items():
                if _same(value, key):
                    return name, AuthLevel.FUNCTION
        return None, AuthLevel.ANONYMOUS

    # -- files ---------------------------------------------------------------------------------

    def _function_file(self, path: Path) -> dict[str, str]:
        if not path.exists():
            keys = {DEFAULT_KEY_NAME: new_key_value()}
            self._write(path, {"keys": [_key(n, v) for n, v in keys.items()], **_metadata()})
            return keys
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise KeysError(f"{path}: {error}") from error
        if not isinstance(data, dict):
            raise KeysError(f"{path}: not function secrets (no keys list)")
        return _read_keys(data.get("keys"), str(path))

    def _save_host(self) -> None:
        self._write(
            self.directory / HOST_FILE,
            {
                "masterKey": _key(MASTER_KEY_NAME, self.master),
                "functionKeys": [_key(n, v) for n, v in self.function_keys.items()],
                "systemKeys": [_key(n, v) for n, v in self.system_keys.items()],
                **_metadata(),
            },
        )

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        # Keys are secrets: readable by their owner only, as a file that appears whole.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)  # Newtonsoft's Formatting.Indented
            out.write("\n")
        os.replace(temporary, path)


def _same(given: str, key: str) -> bool:
    # Key.SecretValueEquals compares in constant time.
    return hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8"))
