"""Auth levels enforced as the Functions host enforces them (opt-in, with a :class:`HostKeys`).

The key is the ``x-functions-key`` header, else the ``code`` query parameter
(``AuthenticationLevelHandler``); :meth:`HostKeys.authorize` tells its level. Then:

- an HTTP trigger (``FunctionInvocationMiddleware`` and ``FunctionAuthorizationHandler``):
  ``anonymous`` lets everyone in; ``function`` wants a function key (the host's or the
  function's own) or the master key; ``admin`` the master key. A system key is not a function
  key. Refused: 401 with no body (``UnauthorizedResult``);
- an extension's webhook, ``/runtime/webhooks/{extension}/...`` (the durable HTTP API, Event
  Grid; policy ``SystemKeyAuthLevel``): the system key ``{extension}_extension`` or the master
  key. ``admin/host/status`` (``AdminAuthLevelOrInternal``): the master key. Refused without a
  valid key: 401 with ``WWW-Authenticate: Bearer`` (the JWT scheme's challenge) and no body; with
  a valid key of another kind: 403 (ASP.NET Core's forbid).

The App Service platform's own paths (the internal-request shortcut, ARM and JWT tokens) are not
modelled: keys are the only credentials.
"""

from __future__ import annotations

from aiohttp import web

from devhost.bindings import FunctionMetadata
from devhost.keys import AuthLevel, HostKeys, system_key_name

KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


def request_key(request: web.Request) -> str | None:
    """The key a request presents: the header wins over the query (first value of each)."""
    header = request.headers.getall(KEY_HEADER, [])
    if header:
        return header[0] or None
    # ASP.NET Core's query collection ignores the case of names.
    for name, value in request.query.items():
        if name.lower() == KEY_QUERY:
            return value or None
    return None


def trigger_level(function: FunctionMetadata) -> AuthLevel:
    level = getattr(function.trigger, "auth_level", None)
    text = str(getattr(level, "value", level) or "function").lower()
    return AuthLevel(text)  # HttpTriggerAttribute's default is Function


class Authorizer:
    def __init__(self, keys: HostKeys) -> None:
        self.keys = keys

    def http_trigger(self, request: web.Request, function: FunctionMetadata) -> web.Response | None:
        """None when the request may run the function, else the host's refusal."""
        required = trigger_level(function)
        if required is AuthLevel.ANONYMOUS:
            # With a key or a principal the host still authenticates (to fill in claims), and
            # an anonymous function accepts any outcome.
            return None
        key = request_key(request)
        granted = AuthLevel.ANONYMOUS
        if key is not None:
            _, granted = self.keys.authorize(key, function.name)
        if granted is AuthLevel.ADMIN or granted is required:
            return None
        return web.Response(status=401)

    def webhook(self, request: web.Request, extension: str) -> web.Response | None:
        return self._host_route(request, system_key_name(extension))

    def admin(self, request: web.Request) -> web.Response | None:
        return self._host_route(request, None)

    def _host_route(self, request: web.Request, system_key: str | None) -> web.Response | None:
        key = request_key(request)
        if key is None:
            return _challenge()
        name, granted = self.keys.authorize(key)
        if granted is AuthLevel.ADMIN:
            return None
        if (
            system_key is not None
            and granted is AuthLevel.SYSTEM
            and (name or "").lower() == system_key
        ):
            return None
        if granted is AuthLevel.ANONYMOUS:
            return _challenge()
        return web.Response(status=403)


def _challenge() -> web.Response:
    return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
