"""The Durable HTTP API's ``entities/{name?}/{key?}`` routes, as the extension's HttpApiHandler.

- ``POST entities/{name}/{key}?op=OP`` (``DELETE`` signals ``delete``) signals the entity: 202.
  The body, if any, is the operation input: with ``Content-Type: application/json`` it is parsed
  (400 ``Could not parse JSON content: ...`` otherwise) and passed as its compact JSON, any other
  body is passed as a JSON string. An unknown entity name or a key with ``/ \\ # ?`` or control
  characters is 400 with the extension's message.
- ``GET entities/{name}/{key}``: 200 with the state as JSON, 404 when the entity does not exist
  (never ran, or deleted its state). ``$`` stands for the empty key.
- ``GET entities/{name?}``: the entities that exist, ``[{"entityId": {"name", "key"},
  "lastOperationTime", "state"}]``, ``state`` only with ``fetchState=true``; ``top`` (page size,
  100 by default), ``lastOperationTimeFrom``/``To`` and the ``x-ms-continuation-token`` header.

The SDK's ``client.signal_entity`` serialises its input once (``json.dumps``) before posting it as
JSON, and ``read_entity_state`` reads the GET: both arrive here as on Azure.
"""

from __future__ import annotations

import json

from aiohttp import web

from devhost.api_common import empty, flag, json_response, page_of, query, time_param
from devhost.engine import Engine, UnknownEntityError
from devhost.entity_protocol import DotNetTime, operation_input
from devhost.status import parse_to_token

EMPTY_KEY = "$"
# EntityId's ArgumentNullException, as its Message reads.
_NO_NAME = (
    "Invalid entity id: entity name must not be a null or empty string. (Parameter 'entityName')"
)


def _message(status: int, text: str) -> web.Response:
    # request.CreateErrorResponse(status, message): an HttpError with only a Message.
    return json_response(status, {"Message": text})


class EntityApi:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def handle(self, request: web.Request, rest: list[str]) -> web.Response:
        """``rest``: the path segments after ``entities/``."""
        if len(rest) > 2:
            return empty(404)
        name = rest[0] if rest else ""
        key = rest[1] if len(rest) > 1 else ""
        if request.method == "GET":
            if key:
                return self._read(name, key)
            return self._list(request, name)
        if request.method in ("POST", "DELETE"):
            return await self._signal(request, name, key)
        return empty(404)

    async def _signal(self, request: web.Request, name: str, key: str) -> web.Response:
        if not name:
            return _message(400, _NO_NAME)
        operation = "delete" if request.method == "DELETE" else query(request, "op") or ""
        body = await request.read()
        raw_input: str | None = None
        if body:
            text = body.decode("utf-8")
            if request.content_type.lower() == "application/json":
                try:
                    token = json.loads(text)
                except ValueError as problem:
                    return _message(400, f"Could not parse JSON content: {problem}")
                raw_input = json.dumps(token, separators=(",", ":"), ensure_ascii=False)
            else:
                raw_input = operation_input(text)
        try:
            self._engine.signal_entity(name, key, operation, raw_input)
        except (UnknownEntityError, ValueError) as problem:
            return _message(400, str(problem))
        return empty(202)

    def _read(self, name: str, key: str) -> web.Response:
        if not name:
            return _message(400, _NO_NAME)
        entity = self._engine.entity(name, "" if key == EMPTY_KEY else key)
        if entity is None or not entity.exists:
            return empty(404)
        return json_response(200, parse_to_token(entity.state))

    def _list(self, request: web.Request, name: str) -> web.Response:
        since = time_param(request, "lastOperationTimeFrom")
        until = time_param(request, "lastOperationTimeTo")
        found = [
            e
            for e in self._engine.entities()
            if e.exists
            and (not name or e.name == name.lower())
            and e.last_updated_time is not None
            and (since is None or e.last_updated_time >= since)
            and (until is None or e.last_updated_time <= until)
        ]
        # Entities are instances in Azure Storage, listed in instance-id order.
        found.sort(key=lambda e: e.instance_id)
        page, headers = page_of(request, found, lambda e: e.instance_id)
        fetch_state = flag(request, "fetchState", False)
        body = [
            {
                "entityId": {"name": e.name, "key": e.key},
                "lastOperationTime": DotNetTime.of(e.last_updated_time).to_json()
                if e.last_updated_time
                else None,
                "state": parse_to_token(e.state) if fetch_state else None,
            }
            for e in page
        ]
        return json_response(200, body, headers)
