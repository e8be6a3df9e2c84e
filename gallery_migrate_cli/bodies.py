"""Request bodies from a JSON or YAML file, or from flags for the common case.

The command line checks only what it must to build a body (the file parses and holds a mapping,
the flags' own syntax); every rule of the request is the API's, which names each bad field.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# --region NAME[=REPLICAS][:STORAGE], e.g. westus2=2:Standard_ZRS
_REGION = re.compile(r"^(?P<name>[A-Za-z0-9]+)(?:=(?P<replicas>\d+))?(?::(?P<storage>\w+))?$")


class BodyError(ValueError):
    """A request file or flag that cannot become a body (one line says why)."""


def load_file(path: str) -> dict[str, Any]:
    """The mapping in a JSON or YAML file (``-``: standard input); YAML by a ``.yaml`` or
    ``.yml`` name, else JSON (and YAML when that fails, YAML being a superset of it)."""
    name = "standard input" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise BodyError(f"{name}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise BodyError(f"{name}: not UTF-8 text") from None
    if path.lower().endswith((".yaml", ".yml")):
        body = _yaml(text, name)
    else:
        try:
            body = json.loads(text)
        except ValueError as error:
            if not isinstance(error, json.JSONDecodeError) or path.lower().endswith(".json"):
                raise BodyError(f"{name}: not valid JSON: {error}") from None
            body = _yaml(text, name, also=f"not valid JSON ({error}) nor YAML")
    if not isinstance(body, dict):
        raise BodyError(f"{name}: the request must be a mapping (a JSON object)")
    return body


def _yaml(text: str, name: str, also: str = "not valid YAML") -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or "cannot be parsed"
        raise BodyError(f"{name}: {also}{at}: {problem}") from None


def region(spec: str) -> dict[str, Any]:
    """``eastus``, ``westus2=2``, ``northeurope=2:Standard_ZRS`` as a target region."""
    found = _REGION.match(spec.strip())
    if found is None:
        raise BodyError(f"--region '{spec}': use NAME[=REPLICAS][:STORAGE_TYPE]")
    target: dict[str, Any] = {"name": found["name"]}
    if found["replicas"]:
        target["replicaCount"] = int(found["replicas"])
    if found["storage"]:
        target["storageAccountType"] = found["storage"]
    return target


@dataclass
class Flags:
    """The request flags of ``plan`` and ``start``; each given one overrides the file's."""

    gallery: str | None = None
    images: Sequence[str] = ()
    scopes: Sequence[str] = ()
    regions: Sequence[str] = ()
    name_pattern: str | None = None
    delete_source: str | None = None
    approval_timeout: str | None = None
    storage_account_type: str | None = None
    end_of_life: str | None = None
    exclude_from_latest: bool | None = None

    def body(self, file: str | None) -> dict[str, Any]:
        body = load_file(file) if file else {}
        if not file and not self.gallery:
            raise BodyError("give a request file, or --gallery and --image (or --scope)")
        given: dict[str, Any] = {
            "gallery": self.gallery,
            "deleteSource": self.delete_source,
            "approvalTimeout": self.approval_timeout,
            "storageAccountType": self.storage_account_type,
            "endOfLifeDate": self.end_of_life,
            "excludeFromLatest": self.exclude_from_latest,
        }
        body.update({k: v for k, v in given.items() if v is not None})
        if self.images:
            body["images"] = [{"source": source} for source in self.images]
        if self.scopes:
            body["scopes"] = list(self.scopes)
        if self.name_pattern:
            body["filters"] = {**(body.get("filters") or {}), "namePattern": self.name_pattern}
        if self.regions:
            body["targetRegions"] = [region(spec) for spec in self.regions]
        return body
