"""Auth levels enforced as the Azure host does (opt-in keys), and App Service Authentication."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from devhost.easy_auth import ClientPrincipal, EasyAuth
from devhost.keys import AuthLevel, HostKeys, KeysError
from devhost.testing import RunningHost, running_host
from tests.devhost.conftest import APPS

DURABLE = "runtime/webhooks/durabletask"
EVENTGRID = "runtime/webhooks/eventgrid?functionName=on_event"


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[RunningHost]:
    keys = HostKeys.generate(tmp_path / "secrets")
    async with running_host(APPS / "auth", keys=keys) as running:
        yield running


def keys_of(running: RunningHost) -> HostKeys:
    assert running.host.keys is not None
    return running.host.keys


async def call(
    running: RunningHost,
    path: str,
    *,
    method: str = "GET",
    key: str | None = None,
    header: str | None = None,
    **kwargs: Any,
) -> tuple[int, dict[str, str], bytes]:
    url = running.url(path)
    if key is not None:
        url += ("&" if "?" in url else "?") + f"code={key}"
    headers = kwargs.pop("headers", {})
    if header is not None:
        headers["x-functions-key"] = header
    async with running.http.request(method, url, headers=headers, **kwargs) as response:
        return response.status, dict(response.headers), await response.read()


def test_a_generated_folder_is_in_the_hosts_format(tmp_path: Path) -> None:
    keys = HostKeys.generate(tmp_path)
    data = json.loads((tmp_path / "host.json").read_text())
    assert data["masterKey"] == {"name": "master", "value": keys.master, "encrypted": False}
    assert [k["name"] for k in data["functionKeys"]] == ["default"]
    assert data["systemKeys"] == []
    assert data["source"] == "runtime"
    assert len(keys.master) == 56
    assert keys.master.endswith("=")
    assert stat.S_IMODE((tmp_path / "host.json").stat().st_mode) == 0o600
    assert HostKeys.generate(tmp_path).master == keys.master  # an existing folder is kept
    assert HostKeys.load(tmp_path).authorize(keys.master) == ("master", AuthLevel.ADMIN)


def test_folders_devhost_cannot_use(tmp_path: Path) -> None:
    with pytest.raises(KeysError, match="does not exist"):
        HostKeys.load(tmp_path)
    (tmp_path / "host.json").write_text(json.dumps({"masterKey": "old format"}))
    with pytest.raises(KeysError, match="no masterKey object"):
        HostKeys.load(tmp_path)
    encrypted = {"name": "master", "value": "CfDJ8...", "encrypted": True}
    (tmp_path / "host.json").write_text(json.dumps({"masterKey": encrypted, "functionKeys": []}))
    with pytest.raises(KeysError, match="encrypted"):
        HostKeys.load(tmp_path)


async def test_system_keys_are_created_for_the_extensions(guarded: RunningHost) -> None:
    keys = keys_of(guarded)
    data = json.loads((keys.directory / "host.json").read_text())
    names = sorted(k["name"] for k in data["systemKeys"])
    assert names == ["durabletask_extension", "eventgrid_extension"]


async def test_http_trigger_levels(guarded: RunningHost) -> None:
    keys = keys_of(guarded)
    host_key = keys.function_keys["default"]
    system_key = keys.system_keys["durabletask_extension"]
    cases = [
        ("api/open", None, None, 200),
        ("api/open", "wrong", None, 200),  # anonymous takes any outcome
        ("api/guarded", None, None, 401),
        ("api/guarded", "wrong", None, 401),
        ("api/guarded", host_key, None, 200),
        ("api/guarded", None, host_key, 200),  # x-functions-key
        ("api/guarded", "wrong", host_key, 200),  # the header wins over the query
        ("api/guarded", host_key, "wrong", 401),
        ("api/guarded", keys.master, None, 200),
        ("api/guarded", system_key, None, 401),  # a system key is not a function key
        ("api/admin-only", host_key, None, 401),
        ("api/admin-only", keys.master, None, 200),
    ]
    for path, code, header, expected in cases:
        status, headers, body = await call(guarded, path, key=code, header=header)
        assert status == expected, (path, code, header)
        if status == 401:
            # UnauthorizedResult: the status alone.
            assert (body, headers.get("WWW-Authenticate")) == (b"", None)
    # The query parameter's name ignores case, as ASP.NET Core's query collection does.
    assert (await call(guarded, f"api/guarded?Code={host_key}"))[0] == 200


async def test_function_keys_are_per_function(guarded: RunningHost) -> None:
    keys = keys_of(guarded)
    own = keys.keys_of("guarded")["default"]  # created on first use, as the host does
    assert json.loads((keys.directory / "guarded.json").read_text())["keys"][0]["value"] == own
    assert (await call(guarded, "api/guarded", key=own))[0] == 200
    assert (await call(guarded, "api/admin-only", key=own))[0] == 401
    other = keys.keys_of("admin_only")["default"]
    assert (await call(guarded, "api/guarded", key=other))[0] == 401


async def test_webhooks_want_their_system_key(guarded: RunningHost) -> None:
    keys = keys_of(guarded)
    durable = keys.system_keys["durabletask_extension"]
    eventgrid = keys.system_keys["eventgrid_extension"]
    status_url = f"{DURABLE}/instances/nobody"
    # No valid key: the JWT scheme's challenge; a valid key of another kind: forbidden.
    status, headers, body = await call(guarded, status_url)
    assert (status, headers.get("WWW-Authenticate"), body) == (401, "Bearer", b"")
    assert (await call(guarded, status_url, key="wrong"))[0] == 401
    assert (await call(guarded, status_url, key=keys.function_keys["default"]))[0] == 403
    assert (await call(guarded, status_url, key=eventgrid))[0] == 403
    assert (await call(guarded, status_url, key=durable))[0] == 404  # through: no such instance
    assert (await call(guarded, status_url, key=keys.master))[0] == 404
    event = json.dumps([{"id": "e1", "subject": "s", "eventType": "t", "data": {}}])
    notify = {"aeg-event-type": "Notification"}
    for key, expected in ((None, 401), (durable, 403), (eventgrid, 202)):
        status, _, _ = await call(
            guarded, EVENTGRID, method="POST", key=key, data=event, headers=dict(notify)
        )
        assert status == expected
    assert guarded.host.app_module.EVENTS == ["e1"]
    # Extensions devhost does not have are still guarded first.
    assert (await call(guarded, "runtime/webhooks/other"))[0] == 401
    assert (await call(guarded, "runtime/webhooks/other", key=keys.master))[0] == 404


async def test_admin_routes_want_the_master_key(guarded: RunningHost) -> None:
    keys = keys_of(guarded)
    for path in ("admin/host/status", "_devhost/stats", "_devhost/clock"):
        assert (await call(guarded, path))[0] == 401
        assert (await call(guarded, path, key=keys.function_keys["default"]))[0] == 403
        assert (await call(guarded, path, key=keys.master))[0] == 200


async def test_durable_client_carries_the_system_key(guarded: RunningHost) -> None:
    durable = keys_of(guarded).system_keys["durabletask_extension"]
    binding = json.loads(guarded.host.client_binding())
    assert binding["requiredQueryStringParameters"] == f"code={durable}"
    creation = binding["creationUrls"]["createNewInstancePostUri"]
    assert creation.endswith(f"/orchestrators/{{functionName}}[/{{instanceId}}]?code={durable}")
    status_uri = binding["managementUrls"]["statusQueryGetUri"]
    assert status_uri.endswith(
        f"?taskHub={binding['taskHubName']}&connection=Storage&code={durable}"
    )
    # The SDK's own calls go to the extension's local listener, on another port, without keys.
    rpc = binding["rpcBaseUrl"]
    assert rpc.startswith("http://127.0.0.1:")
    assert rpc.endswith("/durabletask/")
    assert not rpc.startswith(guarded.base_url)

    status, headers, body = await call(guarded, "api/start", method="POST")
    assert status == 202
    assert headers["x-seen-status"] == "True"
    started = json.loads(body)
    assert f"code={durable}" in started["statusQueryGetUri"]
    final = await guarded.wait_for_status(started["statusQueryGetUri"])
    assert final["output"] == "hello keys"
    async with guarded.http.get(f"{rpc}instances/{started['id']}") as response:
        assert response.status == 200


PRINCIPAL = ClientPrincipal(
    user_id="00000000-0000-0000-0000-0000000000a1",
    name="ann@example.com",
    roles=("Approver",),
    claims=(("http://schemas.microsoft.com/identity/claims/objectidentifier", "a1"),),
)
FORGED = {
    "X-MS-CLIENT-PRINCIPAL-NAME": "mallory@example.com",
    "X-MS-CLIENT-PRINCIPAL": "Zm9yZ2Vk",
    "X-MS-CLIENT-PRINCIPAL-IDP": "forged",
    "X-MS-TOKEN-AAD-ID-TOKEN": "forged",
}


async def test_easy_auth_strips_forged_headers_and_injects_the_test_principal() -> None:
    easy_auth = EasyAuth()
    async with running_host(APPS / "auth", easy_auth=easy_auth) as running:
        status, _, body = await call(running, "api/open", headers=dict(FORGED))
        assert status == 200
        assert json.loads(body) == {"WEBSITE_AUTH_ENABLED": "True"}  # nobody signed in
        easy_auth.principal = PRINCIPAL
        _, _, body = await call(running, "api/open", headers=dict(FORGED))
    seen = json.loads(body)
    assert seen["x-ms-client-principal-name"] == "ann@example.com"
    assert seen["x-ms-client-principal-id"] == PRINCIPAL.user_id
    assert seen["x-ms-client-principal-idp"] == "aad"
    assert "x-ms-token-aad-id-token" not in seen
    decoded = json.loads(base64.b64decode(seen["x-ms-client-principal"]))
    assert decoded == {
        "auth_typ": "aad",
        "claims": [
            {"typ": PRINCIPAL.name_claim_type, "val": "ann@example.com"},
            {"typ": PRINCIPAL.role_claim_type, "val": "Approver"},
            {"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "a1"},
        ],
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    }


async def test_without_easy_auth_the_headers_are_the_clients(tmp_path: Path) -> None:
    async with running_host(APPS / "auth") as running:
        _, _, body = await call(running, "api/open", headers=dict(FORGED))
    seen = json.loads(body)
    assert seen["x-ms-client-principal-name"] == "mallory@example.com"
    assert seen["WEBSITE_AUTH_ENABLED"] is None


async def test_a_principal_is_not_a_key(tmp_path: Path) -> None:
    keys = HostKeys.generate(tmp_path)
    easy_auth = EasyAuth(PRINCIPAL)
    async with running_host(APPS / "auth", keys=keys, easy_auth=easy_auth) as running:
        assert (await call(running, "api/guarded"))[0] == 401
        assert (await call(running, "api/open"))[0] == 200


def test_principal_files(tmp_path: Path) -> None:
    path = tmp_path / "principal.json"
    path.write_text(json.dumps({"userId": "u1", "name": "ann", "roles": ["r"]}))
    assert EasyAuth.from_file(path).principal == ClientPrincipal("u1", "ann", roles=("r",))
    path.write_text("null")
    assert EasyAuth.from_file(path).principal is None
    path.write_text(json.dumps({"name": "no id"}))
    with pytest.raises(ValueError, match="userId"):
        EasyAuth.from_file(path)
