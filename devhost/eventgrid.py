"""The Event Grid webhook of the Functions host: /runtime/webhooks/eventgrid?functionName=NAME.

As the host's Event Grid extension does: the ``aeg-event-type`` header says what a POST carries.
``SubscriptionValidation`` is answered with ``{"validationResponse": <validationCode>}``;
``Notification`` delivers each event of the body (an Event Grid schema array, or one CloudEvent or
an array of them) to one invocation of the function, in parallel, answering 202 when all succeed
and 500 otherwise; ``Unsubscribe`` gets 202; anything else 400. CloudEvents' abuse-protection
handshake is an OPTIONS request with ``WebHook-Request-Origin``, answered 200 with
``WebHook-Allowed-Origin``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from azure.functions import meta

from devhost.bindings import EVENT_GRID_TRIGGER, FunctionMetadata
from devhost.invoker import Invocation, Invoker, log_failure

log = logging.getLogger("devhost")

VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"


class EventGridWebhook:
    def __init__(
        self,
        functions: Mapping[str, FunctionMetadata],
        invoker: Invoker,
        client_binding: Any,
    ) -> None:
        self._functions = {
            name.lower(): function
            for name, function in functions.items()
            if function.trigger_type == EVENT_GRID_TRIGGER
        }
        self._invoker = invoker
        self._client_binding = client_binding

    async def handle(self, request: web.Request) -> web.Response:
        if request.method == "OPTIONS":
            origin = request.headers.get("WebHook-Request-Origin")
            if origin is None:
                return web.Response(status=400)
            return web.Response(
                status=200,
                headers={"WebHook-Allowed-Origin": origin, "WebHook-Allowed-Rate": "*"},
            )
        if request.method != "POST":
            return web.Response(status=405)
        name = ""
        for key, value in request.query.items():
            if key.lower() == "functionname":
                name = value
        function = self._functions.get(name.lower())
        if function is None:
            known = ", ".join(f.name for f in self._functions.values())
            log.info("cannot find function: '%s', available function names: [%s]", name, known)
            return web.Response(status=404, text=f"cannot find function: '{name}'")
        kind = (request.headers.get("aeg-event-type") or "").lower()
        if kind == "subscriptionvalidation":
            return await self._validate(request, function)
        if kind == "notification":
            return await self._deliver(request, function)
        if kind == "unsubscribe":
            return web.Response(status=202)
        return web.Response(status=400)

    async def _validate(self, request: web.Request, function: FunctionMetadata) -> web.Response:
        events = json.loads(await request.text())
        first = events[0] if isinstance(events, list) else events
        code = (first.get("data") or {}).get("validationCode")
        log.info("perform handshake with eventGrid for function: %s", function.name)
        return web.Response(
            status=200,
            text=json.dumps({"validationResponse": code}),
            content_type="application/json",
        )

    async def _deliver(self, request: web.Request, function: FunctionMetadata) -> web.Response:
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="Invalid JSON content")
        events = body if isinstance(body, list) else [body]
        origin = f"{request.scheme}://{request.host}"
        results = await asyncio.gather(*(self._invoke(function, event, origin) for event in events))
        for result in results:
            if result.error is not None:
                log_failure(function, result.error)
                return web.Response(status=500, text=str(result.error))
        return web.Response(status=202)

    async def _invoke(self, function: FunctionMetadata, event: Any, origin: str) -> Invocation:
        data: dict[str, meta.Datum | None] = {
            function.trigger_param: meta.Datum(type="json", value=json.dumps(event)),
            **function.client_inputs(lambda: self._client_binding(origin)),
        }
        return await self._invoker.invoke(function, data)
