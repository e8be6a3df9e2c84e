"""The one aiohttp application that serves everything a Functions host serves for the app."""

from __future__ import annotations

import json
import logging

from aiohttp import web

from devhost.client_binding import WEBHOOK_PATH
from devhost.engine import Engine
from devhost.eventgrid import EventGridWebhook
from devhost.http_triggers import HttpTriggers
from devhost.management_api import ManagementApi
from simclock import Clock

log = logging.getLogger("devhost")

EVENTGRID_PATH = "/runtime/webhooks/eventgrid"
STATS_PATH = "/_devhost/stats"
CLOCK_PATH = "/_devhost/clock"
HOST_STATUS_PATH = "/admin/host/status"


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


def build_application(
    *,
    engine: Engine,
    management: ManagementApi,
    http: HttpTriggers,
    eventgrid: EventGridWebhook,
    clock: Clock,
) -> web.Application:
    async def dispatch(request: web.Request) -> web.StreamResponse:
        path = request.path
        durable = _under(path, WEBHOOK_PATH)
        if durable is not None:
            return await management.handle(request, durable)
        if _under(path, EVENTGRID_PATH) == "":
            return await eventgrid.handle(request)
        stats = _under(path, STATS_PATH)
        if stats is not None and request.method == "GET":
            return stats_body(engine, stats or None)
        if _under(path, CLOCK_PATH) == "" and request.method == "GET":
            return web.json_response(clock_body(clock))
        if _under(path, HOST_STATUS_PATH) == "" and request.method == "GET":
            return web.json_response({"state": "Running"})
        subpath = http.strip_prefix(path)
        if subpath is not None:
            found = http.find(request.method, subpath)
            if found is not None:
                route, params = found
                return await http.handle(request, route, params)
        return web.Response(status=404)

    app = web.Application(client_max_size=100 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", dispatch)
    return app
