"""Microsoft's azure-functions-durable samples, unmodified, through their own HTTP starters.

The apps under apps/samples are copied byte for byte from the azure-functions-durable-python
repository (samples-v2) and from the Durable extension's Python end-to-end test app (MIT licence,
see apps/samples/README.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from devhost.testing import running_host
from tests.devhost.conftest import SAMPLES

EXTENSION_E2E = SAMPLES / "extension_e2e"
CLASS_BASED_STATE = (
    "IConfiguration: yes, MyInjectedService: yes, BlobContainerClient: yes, Number: 42"
)

# Azurite's well-known development account; the fake blob service below accepts any signature.
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


async def test_function_chaining_sample() -> None:
    async with running_host(SAMPLES / "function_chaining") as running:
        async with running.http.post(running.url("api/orchestrators/my_orchestrator")) as response:
            assert response.status == 202
            started = await response.json()
        final = await running.wait_for_status(started["statusQueryGetUri"])
        assert final["runtimeStatus"] == "Completed"
        assert final["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


async def test_blueprint_sample() -> None:
    async with running_host(SAMPLES / "blueprint") as running:
        async with running.http.get(running.url("api/HttpTrigger?name=Ada")) as response:
            assert response.status == 200
            assert await response.text() == (
                "Hello, Ada. This HTTP triggered function executed successfully."
            )
        async with running.http.post(running.url("api/startOrchestrator")) as response:
            assert response.status == 202
            started = await response.json()
        final = await running.wait_for_status(started["statusQueryGetUri"])
        assert final["output"] == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"]


class FakeBlobService:
    """Just enough of the Blob REST API for create_container and upload_blob."""

    def __init__(self) -> None:
        self.containers: set[str] = set()
        self.blobs: dict[str, bytes] = {}

    async def handle(self, request: web.Request) -> web.Response:
        headers = {
            "ETag": '"0x8DC0000000000"',
            "Last-Modified": "Tue, 01 Jan 2030 00:00:00 GMT",
            "x-ms-request-id": "00000000-0000-0000-0000-000000000000",
            "x-ms-version": request.headers.get("x-ms-version", "2021-08-06"),
        }
        parts = request.path.strip("/").split("/")
        if request.method != "PUT" or parts[0] != ACCOUNT:
            return web.Response(status=400, headers=headers)
        if request.query.get("restype") == "container":
            if parts[1] in self.containers:
                headers["x-ms-error-code"] = "ContainerAlreadyExists"
                return web.Response(status=409, headers=headers)
            self.containers.add(parts[1])
            return web.Response(status=201, headers=headers)
        self.blobs["/".join(parts[1:])] = await request.read()
        headers["x-ms-request-server-encrypted"] = "true"
        return web.Response(status=201, headers=headers)


@pytest.fixture
async def blob_service() -> AsyncIterator[tuple[FakeBlobService, str]]:
    service = FakeBlobService()
    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", service.handle)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    connection = (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{ACCOUNT};"
    )
    yield service, connection
    await runner.cleanup()


async def test_fan_in_fan_out_sample(
    tmp_path: Path, blob_service: tuple[FakeBlobService, str]
) -> None:
    service, connection = blob_service
    site = tmp_path / "site"
    files = {
        "E2_Alpha/__init__.py": b"print('alpha')\n",
        "E2_Alpha/function.json": b'{"bindings": []}\n',
        "E2_Beta/__init__.py": b"x = 1\n" * 10,
        "other/__init__.py": b"not backed up\n",
    }
    for name, content in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(content)

    # The sample reads AzureWebJobsStorage when it is imported: the setting is in the
    # environment before the import, as local.settings.json values are under `func start`.
    async with running_host(
        SAMPLES / "fan_in_fan_out", settings={"AzureWebJobsStorage": connection}
    ) as running:
        url = running.url("api/orchestrators/E2_BackupSiteContent")
        async with running.http.post(url, json=str(site)) as response:
            assert response.status == 202
            started = await response.json()
        final = await running.wait_for_status(started["statusQueryGetUri"])

    assert final["runtimeStatus"] == "Completed", final
    backed_up = {k: v for k, v in files.items() if k.startswith("E2_")}
    assert final["output"] == sum(len(v) for v in backed_up.values())
    assert service.containers == {"backups"}
    assert service.blobs == {
        "backups/" + name.replace("/", "_"): content for name, content in backed_up.items()
    }


# What the extension's own end-to-end tests expect of these orchestrations on the real host with
# Python (test/e2e/Tests/Tests/ErrorHandlingTests.cs and ClassBasedEntityTests.cs, with the strings
# of Localizers/PythonTestLanguageLocalizer.cs), checked the same way here.
@pytest.mark.parametrize(
    ("orchestration", "status", "check"),
    [
        (
            "ThrowEntityOrchestration",
            "Failed",
            lambda out: (
                out.startswith("Orchestrator function 'ThrowEntityOrchestration' failed:")
                and "This entity failed" in out
            ),
        ),
        (
            "CatchEntityOrchestration",
            "Completed",
            lambda out: (
                out.startswith("This entity failed\r\nMore information about the failure")
                and "Inner exception message" not in out
            ),
        ),
        ("RetryEntityOrchestration", "Completed", lambda out: out == "Success"),
        (
            "ClassBasedEntityOrchestration",
            "Completed",
            lambda out: out == CLASS_BASED_STATE,
        ),
        (
            "HelloCities",
            "Completed",
            lambda out: out == ["Hello Tokyo!", "Hello Seattle!", "Hello London!"],
        ),
    ],
)
async def test_the_extensions_python_entity_e2e_app(
    orchestration: str, status: str, check: Callable[[Any], bool]
) -> None:
    async with running_host(EXTENSION_E2E) as running:
        url = running.url(f"api/StartOrchestration?orchestrationName={orchestration}")
        async with running.http.get(url) as response:
            assert response.status == 202
            started = await response.json()
        final = await running.wait_for_status(started["statusQueryGetUri"])
    assert final["runtimeStatus"] == status, final
    assert check(final["output"]), final["output"]


async def test_the_e2e_apps_entity_state_through_the_durable_http_api() -> None:
    async with running_host(EXTENSION_E2E) as running:
        start = "api/StartOrchestration?orchestrationName=ClassBasedEntityOrchestration"
        async with running.http.get(running.url(start)) as response:
            started = await response.json()
        await running.wait_for_status(started["statusQueryGetUri"])
        state_url = running.url("runtime/webhooks/durabletask/entities/TestEntity/singleton")
        async with running.http.get(state_url) as response:
            assert response.status == 200
            assert await response.json() == {"state": CLASS_BASED_STATE}
