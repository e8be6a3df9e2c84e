"""The Durable HTTP API under /runtime/webhooks/durabletask, with the extension's status codes.

The routes and answers follow the extension's HttpApiHandler: ``orchestrators/{name}[/{id}]``
starts, ``instances/{id}`` reads (202 while running, 200 when done, 404 when unknown) and purges,
``instances/`` lists (with filters and an ``x-ms-continuation-token`` header) and purges by filter,
``instances/{id}/raiseEvent/{event}`` (202, 400 not JSON, 404, 410 finished) and
``instances/{id}/{terminate|suspend|resume|restart|rewind}``; ``entities/`` is
:mod:`devhost.entity_api`.

Entities are instances too, as on Azure Storage with extension 2.x: ``@name@key``, always
Running, in the list and the status endpoint (read-only here: the operations on instances answer
404 for them).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from aiohttp import web

from devhost.api_common import empty, error, flag, json_response, page_of, query, time_param
from devhost.client_binding import check_status_body
from devhost.engine import Engine, InstanceExistsError, UnknownOrchestratorError
from devhost.entity_api import EntityApi
from devhost.history import TERMINAL_STATUSES, OrchestrationStatus
from devhost.instances import RUNNING_STATUSES, Instance
from devhost.status import StatusSource, parse_to_token, status_payload
from simclock import Clock


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


class ManagementApi:
    def __init__(
        self, engine: Engine, hub: str, clock: Clock, *, system_key: str | None = None
    ) -> None:
        self._engine = engine
        self._hub = hub
        self._clock = clock
        self._system_key = system_key  # keys enforced: the links carry `code=<key>`
        self._entities = EntityApi(engine)

    async def handle(self, request: web.Request, path: str) -> web.Response:
        parts = path.strip("/").split("/")
        if not parts or not parts[0]:
            return empty(404)
        head = parts[0].lower()
        try:
            if head == "orchestrators" and len(parts) in (2, 3):
                if request.method != "POST":
                    return empty(404)
                instance_id = parts[2] if len(parts) == 3 and parts[2] else None
                return await self._start(request, parts[1], instance_id)
            if head == "instances":
                return await self._instances(request, parts[1:])
            if head == "entities":
                return await self._entities.handle(request, parts[1:])
        except ValueError as problem:
            return error(400, "One or more of the arguments submitted is incorrect", str(problem))
        return empty(404)

    async def _instances(self, request: web.Request, rest: list[str]) -> web.Response:
        instance_id = rest[0] if rest and rest[0] else None
        if instance_id is None:
            if request.method == "GET":
                return self._list(request)
            if request.method == "DELETE":
                return self._purge_where(request)
            return empty(404)
        if len(rest) == 1:
            if request.method == "GET":
                return await self._status(request, instance_id)
            if request.method == "DELETE":
                return self._purge(instance_id)
            return empty(404)
        operation = rest[1].lower()
        if operation == "raiseevent" and len(rest) == 3 and request.method == "POST":
            return await self._raise_event(request, instance_id, rest[2])
        if len(rest) != 2 or request.method != "POST":
            return empty(404)
        reason = query(request, "reason")
        if operation == "terminate":
            return self._lifecycle(instance_id, lambda: self._engine.terminate(instance_id, reason))
        if operation == "suspend":
            return self._lifecycle(instance_id, lambda: self._engine.suspend(instance_id, reason))
        if operation == "resume":
            return self._lifecycle(instance_id, lambda: self._engine.resume(instance_id, reason))
        if operation == "restart":
            return await self._restart(request, instance_id)
        if operation == "rewind":
            return self._rewind(instance_id)
        return empty(404)

    # -- start ---------------------------------------------------------------------------------

    async def _start(
        self, request: web.Request, function_name: str, instance_id: str | None
    ) -> web.Response:
        raw = await request.text()
        raw_input: str | None = raw if raw else None
        if raw_input is not None:
            try:
                json.loads(raw_input)
            except ValueError:
                return error(400, "Invalid JSON content")
        try:
            started = self._engine.start_instance(
                function_name, instance_id, raw_input, version=query(request, "version") or ""
            )
        except UnknownOrchestratorError as problem:
            return error(400, str(problem), str(problem))
        except InstanceExistsError as problem:
            return error(409, str(problem))
        return await self._respond_started(request, started)

    async def _respond_started(self, request: web.Request, instance_id: str) -> web.Response:
        timeout = query(request, "timeout")
        interval = query(request, "pollingInterval")
        if timeout and interval:
            try:
                seconds = float(timeout)
            except ValueError:
                seconds = 0.0
            finished = await self._wait_terminal(instance_id, seconds)
            if finished is not None:
                if finished.status == OrchestrationStatus.Completed:
                    return json_response(200, parse_to_token(finished.output))
                return json_response(200, status_payload(finished))
        return self._check_status(request, instance_id)

    def _check_status(self, request: web.Request, instance_id: str) -> web.Response:
        body = check_status_body(_origin(request), instance_id, self._hub, self._system_key)
        return json_response(
            202,
            body,
            headers={"Location": body["statusQueryGetUri"], "Retry-After": "10"},
        )

    async def _wait_terminal(self, instance_id: str, wall_seconds: float) -> Instance | None:
        deadline = time.monotonic() + wall_seconds
        while True:
            seen = self._engine.version
            instance = self._engine.instance(instance_id)
            if instance is not None and instance.status in TERMINAL_STATUSES:
                return instance
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._engine.wait_for_change(seen), timeout=remaining)
            except TimeoutError:
                return None

    # -- status --------------------------------------------------------------------------------

    async def _status(self, request: web.Request, instance_id: str) -> web.Response:
        instance: StatusSource | None = self._engine.instance(instance_id)
        if instance is None:
            instance = self._engine.entity_view(instance_id)
        if instance is None:
            return empty(404)
        show_history = flag(request, "showHistory", False)
        history = None
        if show_history and isinstance(instance, Instance):
            history = self._engine.load_history(instance)
        payload = status_payload(
            instance,
            show_input=flag(request, "showInput", True),
            history=history,
            show_history_output=flag(request, "showHistoryOutput", False),
        )
        headers: dict[str, str] = {}
        if instance.status in RUNNING_STATUSES:
            status = 202
            headers["Location"] = str(request.url)
            headers["Retry-After"] = "5"
        elif instance.status == OrchestrationStatus.Failed:
            status = 500 if flag(request, "returnInternalServerErrorOnFailure", False) else 200
        else:
            status = 200
        return json_response(status, payload, headers=headers)

    def _list(self, request: web.Request) -> web.Response:
        page, headers = page_of(request, self._filtered(request), lambda i: i.instance_id)
        show_input = flag(request, "showInput", True)
        return json_response(200, [status_payload(i, show_input=show_input) for i in page], headers)

    def _filtered(self, request: web.Request) -> list[StatusSource]:
        prefix = query(request, "instanceIdPrefix")
        created_from = time_param(request, "createdTimeFrom")
        created_to = time_param(request, "createdTimeTo")
        statuses = _statuses(query(request, "runtimeStatus"))
        found: list[StatusSource] = []
        candidates: list[StatusSource] = [*self._engine.instances(), *self._engine.entity_views()]
        for instance in candidates:
            if prefix and not instance.instance_id.startswith(prefix):
                continue
            if created_from and instance.created_time < created_from:
                continue
            if created_to and instance.created_time > created_to:
                continue
            if statuses and instance.status not in statuses:
                continue
            found.append(instance)
        # Azure Storage returns instances in partition-key (instance id) order.
        return sorted(found, key=lambda i: i.instance_id)

    # -- purge ---------------------------------------------------------------------------------

    def _purge(self, instance_id: str) -> web.Response:
        instance: StatusSource | None = self._engine.instance(instance_id)
        if instance is None:
            instance = self._engine.entity_view(instance_id)  # always Running: never purged
        if instance is None:
            return empty(404)
        if instance.status not in TERMINAL_STATUSES:
            return json_response(
                412,
                "Only orchestrations in a terminal state can be purged, but the orchestration "
                f"with instance ID {instance_id} has status {instance.status.name}",
            )
        deleted = self._engine.purge(instance_id)
        return json_response(200, {"instancesDeleted": deleted})

    def _purge_where(self, request: web.Request) -> web.Response:
        created_from = time_param(request, "createdTimeFrom")
        if created_from is None:
            return json_response(400, "Please provide value for 'createdTimeFrom' parameter.")
        created_to = time_param(request, "createdTimeTo") or self._clock.now()
        statuses = _statuses(query(request, "runtimeStatus"))

        def doomed(instance: Instance) -> bool:
            return (
                created_from <= instance.created_time <= created_to
                and (not statuses or instance.status in statuses)
                and instance.status in TERMINAL_STATUSES
            )

        deleted = self._engine.purge_where(doomed)
        if deleted == 0:
            return empty(404)
        return json_response(200, {"instancesDeleted": deleted})

    # -- events and lifecycle ------------------------------------------------------------------

    async def _raise_event(
        self, request: web.Request, instance_id: str, event_name: str
    ) -> web.Response:
        instance = self._engine.instance(instance_id)
        if instance is None:
            return empty(404)
        if instance.status in TERMINAL_STATUSES:
            return empty(410)
        if request.content_type.lower() != "application/json":
            return error(400, "Only application/json request content is supported")
        text = await request.text()
        raw: str | None = None
        if text:
            try:
                # ConvertToJToken then serialise: the stored payload is the body, normalised.
                raw = json.dumps(json.loads(text))
            except ValueError:
                return error(400, "Invalid JSON content")
        self._engine.raise_event(instance_id, event_name, raw)
        return empty(202)

    def _lifecycle(self, instance_id: str, operation: Callable[[], None]) -> web.Response:
        instance = self._engine.instance(instance_id)
        if instance is None:
            return empty(404)
        if instance.status in TERMINAL_STATUSES:
            return empty(410)
        operation()
        return empty(202)

    async def _restart(self, request: web.Request, instance_id: str) -> web.Response:
        instance = self._engine.instance(instance_id)
        if instance is None:
            return error(
                400,
                "InstanceId does not match a valid orchestration instance.",
                f"No instance with ID '{instance_id}' was found.",
            )
        new_id = None if flag(request, "restartWithNewInstanceId", True) else instance_id
        try:
            started = self._engine.start_instance(instance.name, new_id, instance.input)
        except InstanceExistsError as problem:
            return error(
                409, "A non-terminal instance with this instance ID already exists.", str(problem)
            )
        return await self._respond_started(request, started)

    def _rewind(self, instance_id: str) -> web.Response:
        instance = self._engine.instance(instance_id)
        if instance is None:
            return json_response(404, f'No orchestration with instance ID "${instance_id}" found.')
        if instance.status != OrchestrationStatus.Failed:
            return json_response(
                412,
                f"This orchestration has status {instance.status.name}, but only orchestrations "
                'in the "Failed" state can be rewound.',
            )
        return error(501, "Rewind is not supported by the underlying storage provider.")


def _statuses(value: str | None) -> set[OrchestrationStatus]:
    found: set[OrchestrationStatus] = set()
    for part in (value or "").split(","):
        name = part.strip()
        for status in OrchestrationStatus:
            if status.name.lower() == name.lower():
                found.add(status)
    return found
