"""The aiohttp applications that serve what a Functions host serves for the app.

The public one answers as the host's pipeline does, in its order: App Service Authentication's
headers first (when on), then the host's own routes (``/runtime/webhooks/{extension}/...`` for
GET, PUT, POST, DELETE and OPTIONS, as ``HostController.ExtensionWebHookHandler``;
``/admin/host/status``), then the functions' HTTP routes. What matches nothing is 404 with no
body; so is a function route that does not list the request's method (the host's
``HttpMethodRouteConstraint`` makes the route not match, so the next one may: there is no 405,
azure-functions-host#10098). A request body over the limit is 413 with no body and the
connection closed (Kestrel's ``MaxRequestBodySize``: 104857600 bytes as the host sets it, or
``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT``).

The RPC one is the Durable extension's local listener (``LocalHttpListener``): the SDK's client
calls ``rpcBaseUrl``, ``http://127.0.0.1:<port>/durabletask/``, without keys.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping

from aiohttp import web

from devhost.auth import Authorizer
from devhost.easy_auth import EasyAuth
from devhost.engine import Engine
from devhost.eventgrid import EventGridWebhook
from devhost.http_triggers import HttpTriggers
from devhost.management_api import ManagementApi
from simclock import Clock

# Every path reaches the dispatcher, newlines and control characters included (aiohttp's ".*"
# stops at a newline, and its own 404 would answer in text/plain where the host answers the
# function, whose route parameters take any character but "/").
ANY_PATH = r"/{tail:[\s\S]*}"

log = logging.getLogger("devhost")

WEBHOOKS_PATH = "/runtime/webhooks"
WEBHOOK_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS"})
DEVHOST_PATH = "/_devhost"
HOST_STATUS_PATH = "/admin/host/status"
RPC_PATH = "/durabletask"
#: ScriptConstants.DefaultMaxRequestBodySize (Program.cs sets it on Kestrel).
DEFAULT_MAX_REQUEST_BODY_SIZE = 104_857_600
BODY_SIZE_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"


def request_body_limit(environment: Mapping[str, str]) -> int:
    """The host's body limit: ``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`` when it is a number
    (HttpRequestBodySizeMiddleware's ``long.TryParse``), else the default."""
    value = environment.get(BODY_SIZE_SETTING, "")
    if re.fullmatch(r"\s*\+?\d+\s*", value):
        return int(value)
    return DEFAULT_MAX_REQUEST_BODY_SIZE


def _under(path: str, prefix: str) -> str | None:
    """The rest of ``path`` below ``prefix`` (case-insensitive), or None."""
    lowered = path.lower()
    if lowered == prefix:
        return ""
    if lowered.startswith(prefix + "/"):
        return path[len(prefix) + 1 :]
    return None


def stats_body(engine: Engine, instance_id: str | None) -> web.Response:
    instances = engine.instances()
    if instance_id:
        instances = [i for i in instances if i.instance_id == instance_id]
        if not instances:
            return web.Response(status=404)
    rows = [
        {
            "instanceId": i.instance_id,
            "name": i.name,
            "runtimeStatus": i.status.name,
            "replays": i.episodes,
            "historyLength": i.history_length,
            "orchestratorCpuSeconds": round(i.cpu_seconds, 6),
        }
        for i in sorted(instances, key=lambda i: i.instance_id)
    ]
    if instance_id:
        body: object = rows[0]
    else:
        body = {
            "instances": rows,
            "totals": {
                "instances": len(rows),
                "replays": sum(r["replays"] for r in rows),  # type: ignore[misc]
                "orchestratorCpuSeconds": round(sum(i.cpu_seconds for i in instances), 6),
            },
        }
    return web.Response(text=json.dumps(body), content_type="application/json")


def clock_body(clock: Clock) -> dict[str, object]:
    """What ``GET /_devhost/clock`` answers (the emulator's ``/_emulator/clock`` has the same
    fields), so that a test or a benchmark can check that processes agree on the time."""
    return {"now": clock.now().isoformat(), "clock": repr(clock), "virtual": clock.is_virtual}


def _webhook(path: str) -> tuple[str, str] | None:
    """``/runtime/webhooks/{extension}/{*extra}``: (extension in lower case, extra)."""
    rest = _under(path, WEBHOOKS_PATH)
    if not rest:
        return None
    extension, _, extra = rest.partition("/")
    return extension.lower(), extra


def _empty(status: int) -> web.Response:
    return web.Response(status=status)


def _too_large() -> web.Response:
    return _rejected(413)


def _rejected(status: int) -> web.Response:
    # Kestrel's answer to a rejected request: the status, no headers, no body, no keep-alive.
    response = web.Response(status=status)
    response.force_close()
    return response


# Kestrel's MaxRequestLineSize (method, target and version, 8 KB by default): a longer request
# line is refused with 414 before any route sees it (aiohttp's own parser limit, 8190 bytes with
# a text/plain 400, is raised past this in host._listen so that this check decides).
MAX_REQUEST_LINE = 8192
SERVER_MAX_LINE = 65536


def _line_too_long(request: web.Request) -> bool:
    line = (
        f"{request.method} {request.raw_path} HTTP/{request.version.major}.{request.version.minor}"
    )
    return len(line.encode("utf-8", "surrogateescape")) + 2 > MAX_REQUEST_LINE


def build_application(
    *,
    engine: Engine,
    management: ManagementApi,
    http: HttpTriggers,
    eventgrid: EventGridWebhook,
    clock: Clock,
    authorizer: Authorizer | None = None,
    easy_auth: EasyAuth | None = None,
    body_limit: int = DEFAULT_MAX_REQUEST_BODY_SIZE,
) -> web.Application:
    async def dispatch(request: web.Request) -> web.StreamResponse:
        if _line_too_long(request):
            return _rejected(414)
        if easy_auth is not None:
            request = easy_auth.apply(request)
        try:
            return await route(request)
        except web.HTTPRequestEntityTooLarge:
            return _too_large()

    async def route(request: web.Request) -> web.StreamResponse:
        path, method = request.path, request.method
        webhook = _webhook(path)
        if webhook is not None and method in WEBHOOK_METHODS:
            extension, extra = webhook
            denied = authorizer.webhook(request, extension) if authorizer else None
            if denied is not None:
                return denied
            if extension == "durabletask":
                return await management.handle(request, extra)
            if extension == "eventgrid":
                return await eventgrid.handle(request)
            return _empty(404)
        own = _under(path, DEVHOST_PATH)
        if (own is not None or _under(path, HOST_STATUS_PATH) == "") and method == "GET":
            # devhost's own routes: with keys enforced, the master key, as for the host's admin API.
            denied = authorizer.admin(request) if authorizer else None
            if denied is not None:
                return denied
            if own is None:
                return web.json_response({"state": "Running"})
            stats = _under(path, DEVHOST_PATH + "/stats")
            if stats is not None:
                return stats_body(engine, stats or None)
            if own == "clock":
                return web.json_response(clock_body(clock))
        subpath = http.strip_prefix(path)
        if subpath is not None:
            found = http.find(method, subpath)
            if found is not None:
                matched, params = found
                denied = authorizer.http_trigger(request, matched.function) if authorizer else None
                if denied is not None:
                    return denied
                return await http.handle(request, matched, params)
        return _empty(404)

    app = web.Application(client_max_size=body_limit)
    app.router.add_route("*", ANY_PATH, dispatch)
    return app


def build_rpc_application(
    management: ManagementApi, body_limit: int = DEFAULT_MAX_REQUEST_BODY_SIZE
) -> web.Application:
    async def dispatch(request: web.Request) -> web.StreamResponse:
        if _line_too_long(request):
            return _rejected(414)
        rest = _under(request.path, RPC_PATH)
        if rest is None:
            return _empty(404)
        try:
            return await management.handle(request, rest)
        except web.HTTPRequestEntityTooLarge:
            return _too_large()

    app = web.Application(client_max_size=body_limit)
    app.router.add_route("*", ANY_PATH, dispatch)
    return app
