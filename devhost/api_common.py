"""What the Durable HTTP API's handlers share: JSON answers and query-string parameters.

The extension reads query parameters case-insensitively (``NameValueCollection``), and answers
errors as ``HttpError`` JSON (``Message``, plus ``ExceptionMessage`` and ``ExceptionType`` when an
exception is attached).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web

from devhost.history import parse_timestamp

DEFAULT_PAGE_SIZE = 100
CONTINUATION_HEADER = "x-ms-continuation-token"

T = TypeVar("T")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def empty(status: int) -> web.Response:
    return web.Response(status=status)


def error(status: int, message: str, exception: str | None = None) -> web.Response:
    body: dict[str, str] = {"Message": message}
    if exception is not None:
        body["ExceptionMessage"] = exception
        body["ExceptionType"] = "System.ArgumentException"
    return json_response(status, body)


def flag(request: web.Request, name: str, default: bool) -> bool:
    for key, value in request.query.items():
        if key.lower() == name.lower():
            if value.lower() == "true":
                return True
            if value.lower() == "false":
                return False
    return default


def query(request: web.Request, name: str) -> str | None:
    for key, value in request.query.items():
        if key.lower() == name.lower():
            return value
    return None


def time_param(request: web.Request, name: str) -> datetime | None:
    value = query(request, name)
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def page_of(
    request: web.Request, items: Sequence[T], key: Callable[[T], str]
) -> tuple[list[T], dict[str, str] | None]:
    """One page of ``items`` (sorted by ``key``, the instance id, as Azure Storage lists them):
    from the ``x-ms-continuation-token`` header's id, ``top`` long (100 by default); and the
    header that names the next page's first id, when there is one."""
    start = request.headers.get(CONTINUATION_HEADER)
    remaining = [i for i in items if key(i) >= start] if start else list(items)
    size = DEFAULT_PAGE_SIZE
    top = query(request, "top")
    if top:
        try:
            size = max(1, int(top))
        except ValueError:
            size = DEFAULT_PAGE_SIZE
    page, following = remaining[:size], remaining[size:]
    return page, ({CONTINUATION_HEADER: key(following[0])} if following else None)
