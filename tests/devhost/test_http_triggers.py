"""HTTP triggers: route templates, methods, query, headers, body, sync and async functions."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from devhost.http_triggers import compile_route
from devhost.server import request_body_limit
from devhost.testing import RunningHost, running_host
from tests.devhost.conftest import APPS


@pytest.fixture
async def basics(tmp_path: Path) -> AsyncIterator[RunningHost]:
    # local.settings.json is git-ignored, so the test writes one into a copy of the app.
    app_dir = tmp_path / "http_basics"
    shutil.copytree(APPS / "http_basics", app_dir)
    (app_dir / "local.settings.json").write_text(
        json.dumps({"IsEncrypted": False, "Values": {"GREETING": "Howdy"}})
    )
    async with running_host(app_dir) as running:
        yield running


async def test_route_parameters_query_headers_and_prefix(basics: RunningHost) -> None:
    async with basics.http.get(
        basics.url("v1/items/42?color=red"), headers={"X-Test": "yes"}
    ) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/json")
        body = await response.json()
    assert body["id"] == "42"
    assert body["query"] == {"color": "red"}
    assert body["header"] == "yes"
    assert body["method"] == "GET"
    assert body["url"] == basics.url("v1/items/42?color=red")
    # The int constraint rejects other values; the route prefix is required.
    async with basics.http.get(basics.url("v1/items/abc")) as response:
        assert response.status == 404
    async with basics.http.get(basics.url("api/items/42")) as response:
        assert response.status == 404


async def test_literal_route_beats_parameter(basics: RunningHost) -> None:
    async with basics.http.get(basics.url("v1/ITEMS/special")) as response:
        assert (response.status, await response.text()) == (200, "the literal route wins")


async def test_methods_and_async_function_with_json_body(basics: RunningHost) -> None:
    async with basics.http.post(basics.url("v1/items"), json={"id": 7, "name": "x"}) as response:
        assert response.status == 201
        assert response.headers["Location"] == "/v1/items/7"
        assert await response.json() == {"created": {"id": 7, "name": "x"}}
    async with basics.http.delete(basics.url("v1/items")) as response:
        assert response.status == 404


async def test_optional_and_catch_all_parameters(basics: RunningHost) -> None:
    async with basics.http.get(basics.url("v1/greet/Ada")) as response:
        assert await response.text() == "Howdy Ada (imported with Howdy)"
    async with basics.http.get(basics.url("v1/greet")) as response:
        assert await response.text() == "Howdy stranger (imported with Howdy)"
    async with basics.http.get(basics.url("v1/files/a/b/c.txt")) as response:
        assert await response.text() == "a/b/c.txt"


async def test_context_parameter_and_function_name(basics: RunningHost) -> None:
    async with basics.http.get(basics.url("v1/whoami")) as response:
        body = json.loads(await response.text())
    assert body["function"] == "who_am_i"
    assert len(body["invocation"]) == 36


async def test_errors_binary_bodies_and_cookies(
    basics: RunningHost, caplog: pytest.LogCaptureFixture
) -> None:
    async with basics.http.get(basics.url("v1/boom")) as response:
        assert response.status == 500
    async with basics.http.get(basics.url("v1/not-a-response")) as response:
        assert response.status == 500
    raised, unencodable = [r for r in caplog.records if r.getMessage().startswith("Executed")]
    assert raised.getMessage() == "Executed 'Functions.boom' (Failed): kaboom"
    assert raised.exc_info is not None
    assert unencodable.getMessage().startswith("Executed 'Functions.not_a_response' (Failed): ")
    assert unencodable.exc_info is None  # the traceback would be the converter's
    async with basics.http.post(basics.url("v1/binary"), data=b"\x00\x01\x02") as response:
        assert await response.read() == b"\x02\x01\x00"
    async with basics.http.get(basics.url("v1/cookie")) as response:
        assert response.headers["Set-Cookie"] == "a=1; Path=/"


async def test_function_list_and_auth_levels_recorded(basics: RunningHost) -> None:
    lines = basics.host.describe_functions()
    assert f"get_item: [GET] {basics.url('v1/items/{id:int}')}" in lines
    assert f"greet: [GET,POST] {basics.url('v1/greet/{name?}')}" in lines
    # Auth levels are recorded, not enforced: this FUNCTION-level route answered without a key.
    level = basics.host.functions["get_item"].trigger.auth_level
    assert str(getattr(level, "value", level)).lower() == "function"


async def test_parameters_take_any_character_but_a_slash(basics: RunningHost) -> None:
    # ASP.NET routing decodes the path and a parameter matches any segment: a newline or a
    # control character reaches the function (which decides), not a 404 of devhost's own.
    async with basics.http.get(basics.url("v1/greet/a%0Ab%17")) as response:
        assert (response.status, await response.text()) == (
            200,
            "Howdy a\nb\x17 (imported with Howdy)",
        )
    async with basics.http.get(basics.url("v1/files/x%0A/y")) as response:
        assert await response.text() == "x\n/y"
    assert compile_route("items/{id}").match("items/a\nb") == {"id": "a\nb"}
    assert compile_route("items/{id}").match("items/a/b") is None


def test_route_templates() -> None:
    route = compile_route("orders/{id:guid}/lines/{line:int?}")
    guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
    assert route.match(f"orders/{guid}/lines/3") == {"id": guid, "line": "3"}
    assert route.match(f"orders/{guid}/lines") == {"id": guid}
    assert route.match("orders/nope/lines/3") is None
    assert compile_route("a/{b=x}").match("a") == {"b": "x"}
    assert compile_route("v{major:int}.{minor:int}").match("v1.2") == {"major": "1", "minor": "2"}
    assert compile_route("re/{code:regex(^[A-Z]{{3}}$)}").match("re/ABC") == {"code": "ABC"}


async def test_wrong_methods_and_unknown_routes_are_404_with_nothing_else(
    basics: RunningHost,
) -> None:
    # The host's HttpMethodRouteConstraint makes a route without the method not match: no 405,
    # no Allow header, no body (azure-functions-host#10098).
    for method, path in (
        ("DELETE", "v1/items"),  # POST only
        ("PUT", "v1/items/42"),  # GET only
        ("HEAD", "v1/items/special"),  # GET only: HEAD is not implied
        ("GET", "v1/nothing-here"),
        ("GET", "v1"),
        ("GET", ""),
        ("POST", "runtime/webhooks/unknown_extension"),
    ):
        async with basics.http.request(method, basics.url(path)) as response:
            assert response.status == 404, (method, path)
            assert await response.read() == b""
            assert "Allow" not in response.headers
            assert "Content-Type" not in response.headers
    # A route without methods takes them all.
    async with basics.http.request("PATCH", basics.url("v1/greet/ann")) as response:
        assert response.status == 200


async def test_a_request_line_over_8_kb_is_414_with_nothing_else(basics: RunningHost) -> None:
    # Kestrel's MaxRequestLineSize (8192 bytes: method, target, version): 414, no body.
    fits = basics.url("v1/greet/" + "a" * 7000)
    async with basics.http.get(fits) as response:
        assert response.status == 200
    for tail in ("v1/greet/" + "a" * 8200, "v1/greet/ann?x=" + "%C2%A9" * 1400):
        async with basics.http.get(basics.url(tail)) as response:
            assert response.status == 414
            assert await response.read() == b""
            assert "Content-Type" not in response.headers


async def test_request_bodies_over_the_limit_are_413(tmp_path: Path) -> None:
    settings = {"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": "1000"}
    async with running_host(APPS / "http_basics", settings=settings) as running:
        async with running.http.post(running.url("v1/binary"), data=b"x" * 1000) as response:
            assert response.status == 200  # at the limit: accepted
        async with running.http.post(running.url("v1/binary"), data=b"x" * 1001) as response:
            # Kestrel's rejection: the status, no body, the connection closed.
            assert (response.status, await response.read()) == (413, b"")
            assert response.headers.get("Connection", "").lower() == "close"


def test_request_body_limit_setting() -> None:
    assert request_body_limit({}) == 104_857_600  # ScriptConstants.DefaultMaxRequestBodySize
    assert request_body_limit({"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": " 2048 "}) == 2048
    assert request_body_limit({"FUNCTIONS_REQUEST_BODY_SIZE_LIMIT": "lots"}) == 104_857_600
