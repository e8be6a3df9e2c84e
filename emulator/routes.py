"""The aiohttp application: ARM requests through one case-insensitive dispatcher, admin routes
under /_emulator/ (``emulator/admin.py``).

Every ARM request passes, in order: added latency, authentication (401), routing (404/405),
api-version (400), throttling (429), random server errors (500/503), then the service. Whatever the
answer, it is recorded in the request log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator import ids, routing
from emulator.admin import AdminRoutes
from emulator.errors import ArmErrorResponse, invalid_parameter, retry_after_headers
from emulator.records import RequestRecord
from emulator.regions import REGIONS
from emulator.resources import Operation
from emulator.service import Call

if TYPE_CHECKING:
    from emulator.server import Emulator

log = logging.getLogger(__name__)

EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator")


def build_app(emulator: Emulator) -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app[EMULATOR] = emulator
    app.add_routes(AdminRoutes(emulator).routes())
    app.router.add_route("*", "/{tail:.*}", _arm)

    async def start_publisher(app: web.Application) -> None:
        await app[EMULATOR].publisher.start()

    async def stop_publisher(app: web.Application) -> None:
        await app[EMULATOR].publisher.stop()

    app.on_startup.append(start_publisher)
    app.on_cleanup.append(stop_publisher)
    return app


# ARM --------------------------------------------------------------------------------------------


def _json(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(
        status=status,
        text=json.dumps(body),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


def _authenticate(request: web.Request, accepted: tuple[str, ...] | None) -> None:
    header = request.headers.get("Authorization", "").strip()
    challenge = {
        "WWW-Authenticate": 'Bearer authorization_uri="https://login.microsoftonline.com/common", '
        'error="invalid_token", error_description="The authentication failed because of missing '
        "'Authorization' header.\""
    }
    if not header:
        raise ArmErrorResponse(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            headers=challenge,
        )
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ArmErrorResponse(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            headers=challenge,
        )
    if accepted is not None and token not in accepted:
        raise ArmErrorResponse(401, "InvalidAuthenticationToken", "The access token is invalid.")


def _api_version(query: dict[str, str], route: routing.Route, location: str | None) -> str:
    version = query.get("api-version")
    if not version:
        raise ArmErrorResponse(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if version not in route.api_versions:
        raise ArmErrorResponse(
            400,
            "NoRegisteredProviderFound",
            f"No registered resource provider found for location '{location or 'global'}' and "
            f"API version '{version}' for type '{route.arm_type}'. The supported api-versions "
            f"are '{', '.join(route.api_versions)}'. The supported locations are "
            f"'{', '.join(REGIONS)}'.",
        )
    return version


def _location_hint(emulator: Emulator, raw: bytes, match: routing.Match, path: str) -> str | None:
    """The location an api-version error names: the URL's, the body's or the resource's."""
    if "location" in match.params:
        return match.params["location"]
    if raw:
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            document = None
        if isinstance(document, dict) and isinstance(document.get("location"), str):
            return str(document["location"])
    return emulator.service.location_of(ids.key(path))


async def _arm(request: web.Request) -> web.StreamResponse:
    emulator = request.app[EMULATOR]
    clock = emulator.clock
    latency = emulator.faults.latency()
    if latency > 0:
        await asyncio.sleep(clock.wall_seconds(latency))
    now = clock.now()
    path = request.rel_url.raw_path
    operation, template, fault = "unknown", "", None
    action: str | None = None
    scope: str | None = None
    hidden_before = emulator.faults.hidden_count
    headers = {
        "x-ms-request-id": str(uuid.uuid4()),
        "x-ms-correlation-request-id": request.headers.get(
            "x-ms-correlation-request-id", str(uuid.uuid4())
        ),
    }
    client_request_id = request.headers.get("x-ms-client-request-id")
    if client_request_id:
        headers["x-ms-client-request-id"] = client_request_id
    try:
        _authenticate(request, emulator.config.accepted_tokens)
        match = routing.match(request.method, path, emulator.service.routes)
        operation, template = match.operation, match.route.template
        action, scope = match.action, match.scope
        # ARM authorizes a request before its provider (or its throttling) sees it.
        if (denial := emulator.faults.denied(action, scope)) is not None:
            raise denial
        raw = await request.read() if request.method in ("PUT", "PATCH") else b""
        query = {key.lower(): value for key, value in request.query.items()}
        api_version = _api_version(query, match.route, _location_hint(emulator, raw, match, path))
        admission = emulator.throttler.admit(
            match.params["subscriptionId"], operation, request.method, now
        )
        headers.update(admission.headers)
        if admission.error is not None:
            fault = "throttled"
            # Simulated time, as Azure would send it; a client converts it to its own clock.
            admission.error.headers.update(retry_after_headers(admission.retry_after))
            raise admission.error
        injected = emulator.faults.random_error(operation)
        if injected is not None:
            fault = "error"
            raise injected
        response = _dispatch(emulator, request, match, query, raw, api_version, now)
        response.headers.update(headers)
    except ArmErrorResponse as error:
        fault = fault or error.fault
        headers.update(error.headers)
        response = _json(error.status, error.body(), headers)
    except Exception:
        log.exception("emulator: %s %s failed", request.method, path)
        failure = ArmErrorResponse(
            500, "InternalServerError", "The emulator failed to handle the request."
        )
        response = _json(failure.status, failure.body(), headers)
    finally:
        if fault is None and emulator.faults.hidden_count != hidden_before:
            fault = "cache-lag"
        # Work that takes no time is done before anyone can look again.
        emulator.service.settle(now)
    emulator.recorder.request(
        RequestRecord(
            time=now,
            method=request.method,
            path=path,
            template=template,
            operation=operation,
            status=response.status,
            error_code=_error_code(response),
            fault=fault,
            action=action,
            scope=scope,
        )
    )
    return response


def _error_code(response: web.Response) -> str | None:
    if response.status < 400 or response.text is None:
        return None
    try:
        return str(json.loads(response.text)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def _dispatch(
    emulator: Emulator,
    request: web.Request,
    match: routing.Match,
    query: dict[str, str],
    raw: bytes,
    api_version: str,
    now: datetime,
) -> web.Response:
    """The service's answer to a request that passed every check, as HTTP."""
    call = Call(
        params=match.params,
        now=now,
        raw=raw,
        api_version=api_version,
        query=query,
        write_request={
            "clientRequestId": request.headers.get("x-ms-client-request-id", ""),
            "clientIpAddress": request.remote or "",
            "method": request.method,
            "url": str(request.url),
        },
    )
    answer = emulator.service.handle(match.operation, call)
    base = f"{request.scheme}://{request.host}"
    if isinstance(answer, Operation):
        return _operation_status(answer, query, base, api_version)
    if isinstance(answer, list):
        page_size = emulator.config.page_size
        return _page(answer, query, page_size, base, request.rel_url.raw_path, api_version)
    headers: dict[str, str] = {}
    if answer.operation is not None:
        headers.update(
            _operation_headers(base, answer.operation, api_version, answer.status == 202)
        )
    return _json(answer.status, answer.body, headers)


def _page(
    items: list[dict[str, Any]],
    query: dict[str, str],
    page_size: int,
    base: str,
    path: str,
    api_version: str,
) -> web.Response:
    token = query.get("$skiptoken", "0")
    try:
        start = int(token)
    except ValueError:
        raise invalid_parameter(
            f"The value '{token}' of parameter '$skiptoken' is invalid."
        ) from None
    if start < 0:
        raise invalid_parameter(f"The value '{token}' of parameter '$skiptoken' is invalid.")
    body: dict[str, Any] = {"value": items[start : start + page_size]}
    if start + page_size < len(items):
        # The SDK follows nextLink exactly as given, so it must carry the api-version.
        body["nextLink"] = f"{base}{path}?api-version={api_version}&$skiptoken={start + page_size}"
    return _json(200, body, {})


def _operation_headers(
    base: str, operation: Operation, api_version: str, with_location: bool
) -> dict[str, str]:
    url = f"{base}{operation.path()}"
    headers = {"Azure-AsyncOperation": f"{url}?api-version={api_version}"}
    if with_location:
        headers["Location"] = f"{url}?monitor=true&api-version={api_version}"
    return headers


def _operation_status(
    operation: Operation, query: dict[str, str], base: str, api_version: str
) -> web.Response:
    if query.get("monitor", "").lower() != "true":
        return _json(200, operation.render(), {})
    # The Location form: 202 while running, 204 once done, the error when it failed.
    if operation.status == "InProgress":
        return _json(202, None, _operation_headers(base, operation, api_version, True))
    if operation.status == "Succeeded":
        return _json(204, None, {})
    error = operation.error or {"code": "OperationFailed", "message": "The operation failed."}
    return _json(400, {"error": error}, {})
