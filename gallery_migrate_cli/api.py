"""The app's HTTP API, as the command line calls it: JSON in, JSON out, errors in one line.

Every failure becomes an :class:`ApiError` with a kind (which exit code it gets) and a message
fit for one line: the endpoint not answering, a refused key, an unknown migration, a request the
API calls invalid (with each field's error), a conflict, or something that is not the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from gallery_migrate_cli.config import Target
from gallery_migrate_cli.exits import Exit

KEY_HEADER = "x-functions-key"
TIMEOUT = 60.0


@dataclass
class ApiError(Exception):
    code: Exit
    message: str
    status: int = 0
    # The answer's problem details (RFC 9457), when it had any.
    problem: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message

    def field_errors(self) -> list[tuple[str, str]]:
        errors = self.problem.get("errors")
        if not isinstance(errors, list):
            return []
        return [
            (str(e.get("field") or "(body)"), str(e.get("message") or ""))
            for e in errors
            if isinstance(e, dict)
        ]

    def to_json(self) -> dict[str, Any]:
        kind = self.code.name.lower().replace("_", "-")
        return {"error": {"kind": kind, "message": self.message, "status": self.status or None}}


def _unreachable(api: str, error: requests.RequestException) -> ApiError:
    text = str(error)
    if isinstance(error, requests.Timeout):
        why = "no answer in time"
    elif "Connection refused" in text:
        why = "connection refused"
    elif "Name or service not known" in text or "NameResolution" in text:
        why = "host name not found"
    elif isinstance(error, requests.exceptions.SSLError):
        why = "TLS failed"
    else:
        why = type(error).__name__
    return ApiError(Exit.UNREACHABLE, f"cannot reach {api}: {why}")


class Api:
    def __init__(self, target: Target, session: requests.Session | None = None) -> None:
        self.target = target
        self.session = session or requests.Session()

    def call(
        self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Any:
        url = path if path.startswith(("http://", "https://")) else f"{self.target.api}/{path}"
        headers = {"Accept": "application/json"}
        if self.target.key:
            headers[KEY_HEADER] = self.target.key
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        try:
            answer = self.session.request(
                method, url, data=data, headers=headers, params=params, timeout=TIMEOUT
            )
        except requests.RequestException as error:
            raise _unreachable(self.target.api, error) from None
        return self._read(answer, method, url)

    def _read(self, answer: requests.Response, method: str, url: str) -> Any:
        try:
            payload = answer.json() if answer.content else None
        except ValueError:
            payload = None
            if answer.ok:
                raise ApiError(
                    Exit.ERROR,
                    f"{method} {url} answered {answer.status_code} with something other than "
                    "JSON: is the endpoint a Gallery Migrator app?",
                    answer.status_code,
                ) from None
        if answer.ok:
            return payload
        problem = payload if isinstance(payload, dict) else {}
        raise _refusal(answer.status_code, problem, method, url, self.target)

    # -- the API's calls ------------------------------------------------------------------------

    def plan(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.call("POST", "migrations/plan", body))

    def start(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.call("POST", "migrations", body))

    def status(self, migration_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"migrations/{_id(migration_id)}"))

    def images(self, migration_id: str) -> Iterator[dict[str, Any]]:
        """Every image of a migration, page after page."""
        page: Any = self.call(
            "GET", f"migrations/{_id(migration_id)}/images", params={"top": "200"}
        )
        while True:
            yield from page.get("images") or []
            if not page.get("nextUri"):
                return
            page = self.call("GET", str(page["nextUri"]))

    def decide(self, migration_id: str, verb: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.call("POST", f"migrations/{_id(migration_id)}/{verb}", body))

    def cancel(self, migration_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self.call("POST", f"migrations/{_id(migration_id)}/cancel", body))

    def list(self, params: dict[str, str]) -> dict[str, Any]:
        return dict(self.call("GET", "migrations", params=params))


def _id(migration_id: str) -> str:
    return quote(migration_id, safe="")


def _refusal(
    status: int, problem: dict[str, Any], method: str, url: str, target: Target
) -> ApiError:
    detail = str(problem.get("detail") or problem.get("title") or "").strip()
    kind = str(problem.get("type") or "").rsplit(":", 1)[-1]
    if status in (401, 403) and kind != "out-of-scope":
        how = "--key, GALLERY_MIGRATE_KEY or a profile's key"
        said = "refused the key" if target.key else "wants a function key"
        return ApiError(Exit.UNAUTHORIZED, f"{target.api} {said} ({status}): pass it with {how}")
    if status == 404 and kind == "not-found":
        return ApiError(Exit.NOT_FOUND, detail or "no such migration", status, problem)
    if status == 404:
        return ApiError(
            Exit.ERROR,
            f"{method} {url} is not part of the API (404): is the endpoint a Gallery Migrator "
            "app of this version?",
            status,
        )
    if status in (400, 403, 413, 415):
        return ApiError(
            Exit.USAGE, detail or f"the API refused the request ({status})", status, problem
        )
    if status == 409:
        return ApiError(
            Exit.CONFLICT, detail or "the migration cannot do that now", status, problem
        )
    return ApiError(
        Exit.ERROR, f"the API failed ({status}): {detail or 'no detail'}", status, problem
    )
