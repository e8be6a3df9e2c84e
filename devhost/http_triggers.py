"""HTTP-triggered functions: route templates, methods, and the request/response conversion.

Routes use the Functions host's (ASP.NET Core) template syntax: literal segments match without
regard to case, ``{name}`` captures a segment, ``{name?}`` is optional, ``{*name}`` catches the
rest, ``{name:int}`` and friends constrain. The request reaches the function as the worker
builds it (an ``http`` Datum decoded by azure.functions' HttpRequestConverter) and the return value
goes back through HttpResponseConverter. Auth levels are recorded but not enforced, as with
`func start`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from aiohttp import web
from azure.functions import meta

from devhost.bindings import HTTP_OUTPUT, FunctionMetadata, encode_return
from devhost.invoker import Invoker, log_failure

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?i:true|false)",
    "alpha": r"[A-Za-z]+",
    "guid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
    "decimal": r"-?\d+(?:\.\d+)?",
    "double": r"-?\d+(?:\.\d+)?",
    "float": r"-?\d+(?:\.\d+)?",
}


@dataclass
class CompiledRoute:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    parameters: int
    catch_all: bool
    defaults: dict[str, str]

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        values = {key: value for key, value in found.groupdict().items() if value is not None}
        for key, value in self.defaults.items():
            values.setdefault(key, value)
        return values


def _parameter_regex(spec: str, defaults: dict[str, str]) -> tuple[str, str, bool, bool]:
    """Return (group name, regex, optional, catch-all) for one ``{...}`` parameter."""
    catch_all = spec.startswith("*")
    spec = spec.lstrip("*")
    default = None
    if "=" in spec:
        spec, default = spec.split("=", 1)
    optional = spec.endswith("?")
    spec = spec.rstrip("?")
    name, _, constraint_text = spec.partition(":")
    regex = ".*" if catch_all else "[^/]+"
    if constraint_text.startswith("regex("):
        # A regex may itself contain colons: it is the rest of the parameter.
        regex = constraint_text[len("regex(") : constraint_text.rindex(")")].strip("^$")
        constraint_text = ""
    for constraint in filter(None, constraint_text.split(":")):
        base = constraint.partition("(")[0]
        if base in _CONSTRAINTS:
            regex = _CONSTRAINTS[base]
    if default is not None:
        defaults[name] = default
        optional = True
    return name, f"(?P<{name}>{regex})", optional, catch_all


def _split_segment(segment: str) -> list[tuple[bool, str]]:
    """Split a segment into (is_parameter, text) parts; ``{{`` and ``}}`` escape braces."""
    parts: list[tuple[bool, str]] = []
    literal = ""
    index = 0
    while index < len(segment):
        if segment.startswith("{{", index) or segment.startswith("}}", index):
            literal += segment[index]
            index += 2
            continue
        if segment[index] != "{":
            literal += segment[index]
            index += 1
            continue
        spec = ""
        index += 1
        while index < len(segment) and not (
            segment[index] == "}" and not segment.startswith("}}", index)
        ):
            if segment.startswith("{{", index) or segment.startswith("}}", index):
                spec += segment[index]
                index += 2
            else:
                spec += segment[index]
                index += 1
        if literal:
            parts.append((False, literal))
            literal = ""
        parts.append((True, spec))
        index += 1
    if literal:
        parts.append((False, literal))
    return parts


def compile_route(template: str) -> CompiledRoute:
    segments = [segment for segment in template.strip("/").split("/") if segment]
    defaults: dict[str, str] = {}
    regex = ""
    literal_segments = 0
    parameters = 0
    catch_all = False
    for index, segment in enumerate(segments):
        separator = "/" if index else ""
        parts = _split_segment(segment)
        if len(parts) == 1 and parts[0][0]:
            parameters += 1
            _name, group, optional, is_catch_all = _parameter_regex(parts[0][1], defaults)
            catch_all = catch_all or is_catch_all
            if optional or is_catch_all:
                regex += f"(?:{separator}{group})?" if separator else f"(?:{group})?"
            else:
                regex += separator + group
            continue
        piece = ""
        for is_parameter, text in parts:
            if is_parameter:
                parameters += 1
                piece += _parameter_regex(text, defaults)[1]
            else:
                piece += re.escape(text)
        if not any(is_parameter for is_parameter, _ in parts):
            literal_segments += 1
        regex += separator + piece
    return CompiledRoute(
        template=template,
        # DOTALL: a parameter or catch-all takes any character but "/", a newline too.
        pattern=re.compile(regex, re.IGNORECASE | re.DOTALL),
        literal_segments=literal_segments,
        parameters=parameters,
        catch_all=catch_all,
        defaults=defaults,
    )


def _methods(function: FunctionMetadata) -> set[str] | None:
    methods = getattr(function.trigger, "methods", None)
    if not methods:
        return None
    return {str(getattr(m, "value", m)).upper() for m in methods}


def describe_methods(function: FunctionMetadata) -> str:
    methods = _methods(function)
    return ",".join(sorted(methods)) if methods else "GET,POST"


@dataclass
class HttpRoute:
    function: FunctionMetadata
    route: CompiledRoute
    methods: set[str] | None


class HttpTriggers:
    def __init__(
        self,
        functions: Mapping[str, FunctionMetadata],
        invoker: Invoker,
        route_prefix: str,
        client_binding: Callable[[str], str],
    ) -> None:
        self._invoker = invoker
        self.route_prefix = route_prefix.strip("/")
        self._client_binding = client_binding  # origin -> the client binding's JSON
        routes = []
        for function in functions.values():
            if function.trigger_type != "httpTrigger":
                continue
            template = str(getattr(function.trigger, "route", None) or function.name)
            routes.append(HttpRoute(function, compile_route(template), _methods(function)))
        # Literal segments win over parameters, parameters over catch-alls (ASP.NET precedence).
        self.routes = sorted(
            routes,
            key=lambda r: (r.route.catch_all, -r.route.literal_segments, r.route.parameters),
        )

    def url_for(self, origin: str, route: HttpRoute) -> str:
        prefix = f"/{self.route_prefix}" if self.route_prefix else ""
        return f"{origin}{prefix}/{route.route.template.strip('/')}"

    def strip_prefix(self, path: str) -> str | None:
        trimmed = path.strip("/")
        if not self.route_prefix:
            return trimmed
        prefix = self.route_prefix.lower()
        if trimmed.lower() == prefix:
            return ""
        if trimmed.lower().startswith(prefix + "/"):
            return trimmed[len(prefix) + 1 :]
        return None

    def find(self, method: str, subpath: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for route in self.routes:
            params = route.route.match(subpath)
            if params is None:
                continue
            if route.methods is not None and method.upper() not in route.methods:
                continue
            return route, params
        return None

    async def handle(
        self, request: web.Request, route: HttpRoute, params: dict[str, str]
    ) -> web.Response:
        function = route.function
        body = await request.read()
        http = meta.Datum(
            type="http",
            value={
                "method": meta.Datum(type="string", value=request.method),
                "url": meta.Datum(type="string", value=str(request.url)),
                "headers": {
                    name: meta.Datum(type="string", value=", ".join(request.headers.getall(name)))
                    for name in request.headers
                },
                "query": {
                    name: meta.Datum(type="string", value=request.query.getone(name))
                    for name in request.query
                },
                "params": {
                    name: meta.Datum(type="string", value=value) for name, value in params.items()
                },
                "body": meta.Datum(type="bytes", value=body),
            },
        )
        origin = f"{request.scheme}://{request.host}"
        data: dict[str, meta.Datum | None] = {
            function.trigger_param: http,
            **function.client_inputs(lambda: self._client_binding(origin)),
        }
        invocation = await self._invoker.invoke(function, data)
        if invocation.error is not None:
            log_failure(function, invocation.error)
            return web.Response(status=500)
        value = invocation.value
        if value is None:
            return web.Response(status=204)
        try:
            datum = encode_return(function, value)
        except (TypeError, ValueError) as error:
            # The traceback would be the converter's, not the user's code.
            log_failure(function, error, with_traceback=False)
            return web.Response(status=500)
        return _to_response(datum)


def _to_response(datum: meta.Datum | None) -> web.Response:
    if datum is None or datum.value is None:
        return web.Response(status=204)
    if datum.type == "string":
        return web.Response(status=200, text=str(datum.value), content_type="text/plain")
    if datum.type == "bytes":
        return web.Response(status=200, body=datum.value)
    if datum.type != HTTP_OUTPUT:
        return web.Response(status=500)
    value = datum.value
    headers: list[tuple[str, str]] = [
        (name, str(header.value)) for name, header in (value.get("headers") or {}).items()
    ]
    for cookie in value.get("cookies") or []:
        for morsel in cookie.values():
            headers.append(("Set-Cookie", morsel.OutputString()))
    body_datum = value.get("body")
    body = b"" if body_datum is None or body_datum.value is None else body_datum.value
    if isinstance(body, str):
        body = body.encode("utf-8")
    response = web.Response(status=int(value["status_code"].value), body=body)
    for name, header_value in headers:
        if name.lower() == "content-length":
            continue
        response.headers.add(name, header_value)
    return response
