"""The Event Grid webhook of the Functions host: /runtime/webhooks/eventgrid?functionName=NAME.

It answers as the Event Grid extension (Microsoft.Azure.WebJobs.Extensions.EventGrid 3.x,
``EventGridExtensionConfigProvider`` and ``HttpRequestProcessor`` in azure-sdk-for-net) behind
the host's ``HostController.ExtensionWebHookHandler``:

- ``functionName`` names a listener exactly (case-sensitive); none: 404 ``cannot find function:
  'NAME'``, before anything else is looked at;
- ``OPTIONS`` (CloudEvents' abuse-protection handshake): 200 with ``Webhook-Allowed-Origin``, the
  request's ``WebHook-Request-Origin`` if it is one of Event Grid's clouds, else
  ``eventgrid.azure.net``;
- the ``aeg-event-type`` header decides the rest: ``SubscriptionValidation`` answers 200
  ``{"validationResponse":"<data.validationCode of the first event>"}`` as text/plain;
  ``Notification`` delivers each event of the body (a JSON array, or one object) to one invocation,
  all at once, and answers 202 when all succeed, else 500 with the text ``Exception while executing
  function: Functions.NAME``; ``Unsubscribe`` answers 202; anything else (no header) 400;
- a body the extension cannot read (not JSON, JSON that is neither an array nor an object, a
  validation event without ``data.validationCode``) makes it throw, and the host's
  ``ExceptionMiddleware`` answers 500 with no body. devhost answers the same on purpose, and logs
  the error as the host does ("An unhandled host error has occurred.").

An event that is not a JSON object cannot be bound (``EventGridTriggerBinding.BindAsync``): its
invocation fails without calling the function, the others still run. Events without
``eventType`` or ``data`` are delivered as they are (the worker's converter leaves the fields
``None``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from azure.functions import meta

from devhost.bindings import EVENT_GRID_TRIGGER, FunctionMetadata
from devhost.invoker import Invocation, Invoker, log_failure

log = logging.getLogger("devhost")

VALIDATION_EVENT = "Microsoft.EventGrid.SubscriptionValidationEvent"
PUBLIC_CLOUD_ORIGIN = "eventgrid.azure.net"
# HttpRequestProcessor.GetAllowedOriginResponseHeader: the origins it echoes.
KNOWN_ORIGINS = frozenset(
    {
        PUBLIC_CLOUD_ORIGIN,
        "eventgrid.azure.us",
        "eventgrid.azure.eaglex.ic.gov",
        "eventgrid.azure.microsoft.scloud",
        "eventgrid.azure.cn",
    }
)
TEXT = "text/plain"


class EnvelopeError(Exception):
    """What makes the extension throw: the host answers 500 with an empty body."""


class EventGridWebhook:
    def __init__(
        self,
        functions: Mapping[str, FunctionMetadata],
        invoker: Invoker,
        client_binding: Callable[[str], str],
    ) -> None:
        self._functions = {
            name: function
            for name, function in functions.items()
            if function.trigger_type == EVENT_GRID_TRIGGER
        }
        self._invoker = invoker
        self._client_binding = client_binding

    async def handle(self, request: web.Request) -> web.Response:
        # HttpUtility.ParseQueryString: keys without regard to case, repeated values joined.
        name = ",".join(v for k, v in request.query.items() if k.lower() == "functionname")
        function = self._functions.get(name)
        if function is None:
            known = ", ".join(self._functions)
            log.info("cannot find function: '%s', available function names: [%s]", name, known)
            return _text(404, f"cannot find function: '{name}'")
        try:
            return await self._process(request, function)
        except EnvelopeError as error:
            log.error("An unhandled host error has occurred. %s", error)
            return web.Response(status=500)

    async def _process(self, request: web.Request, function: FunctionMetadata) -> web.Response:
        if request.method == "OPTIONS":
            origin = request.headers.get("WebHook-Request-Origin", PUBLIC_CLOUD_ORIGIN)
            allowed = origin if origin in KNOWN_ORIGINS else PUBLIC_CLOUD_ORIGIN
            return web.Response(status=200, headers={"Webhook-Allowed-Origin": allowed})
        kinds = request.headers.getall("aeg-event-type", [])
        kind = kinds[0].lower() if kinds else ""
        if kind == "subscriptionvalidation":
            return await self._validate(request, function)
        if kind == "notification":
            return await self._deliver(request, function)
        if kind == "unsubscribe":
            return web.Response(status=202)
        return web.Response(status=400)

    async def _validate(self, request: web.Request, function: FunctionMetadata) -> web.Response:
        body = await _json(request)
        if isinstance(body, list):
            first = body[0] if body else None
            data = first.get("data") if isinstance(first, dict) else None
        elif isinstance(body, dict):
            # A CloudEvent validation: its data is double-encoded (JToken.Parse(data.ToString())).
            data = body.get("data")
            if isinstance(data, str):
                data = _loads(data)
        else:
            raise EnvelopeError(f"a validation body must be a JSON array or object: {body!r}")
        if not isinstance(data, dict) or "validationCode" not in data:
            raise EnvelopeError("the validation event has no data.validationCode")
        log.info("perform handshake with eventGrid for function: %s", function.name)
        answer = {"validationResponse": _token_text(data["validationCode"])}
        return _text(200, json.dumps(answer, separators=(",", ":")))  # System.Text.Json's form

    async def _deliver(self, request: web.Request, function: FunctionMetadata) -> web.Response:
        body = await _json(request)
        if isinstance(body, list):
            events = body
        elif isinstance(body, dict):
            events = [body]
        else:
            raise EnvelopeError(f"a notification must be a JSON array or object: {body!r}")
        origin = f"{request.scheme}://{request.host}"
        results = await asyncio.gather(*(self._invoke(function, event, origin) for event in events))
        for result in results:
            if result.error is not None:
                return _text(500, f"Exception while executing function: Functions.{function.name}")
        return web.Response(status=202)

    async def _invoke(self, function: FunctionMetadata, event: Any, origin: str) -> Invocation:
        if not isinstance(event, dict):
            # The trigger binding takes JObjects only: the invocation fails before the worker.
            error = TypeError(f"Exception binding parameter '{function.trigger_param}'")
            log_failure(function, error, with_traceback=False)
            return Invocation(None, error, 0.0)
        data: dict[str, meta.Datum | None] = {
            function.trigger_param: meta.Datum(type="json", value=json.dumps(event)),
            **function.client_inputs(lambda: self._client_binding(origin)),
        }
        result = await self._invoker.invoke(function, data)
        if result.error is not None:
            log_failure(function, result.error)
        return result


def _token_text(value: Any) -> str:
    """What Newtonsoft's ``JToken.ToString()`` gives for a JSON value (a code is a string)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)  # "True", as .NET writes a bool
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, indent=2)


async def _json(request: web.Request) -> Any:
    return _loads(await request.text())


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise EnvelopeError(f"the request body is not JSON: {error}") from error


def _text(status: int, text: str) -> web.Response:
    # StringContent's default content type.
    return web.Response(status=status, text=text, content_type=TEXT, charset="utf-8")
