"""Today's Azure end to end (api-version 2026-03-03, the SDK's own): nothing is left to an
api-version default, Trusted Launch where the image allows it, and scale sets keep their image."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from emulator import DeniedAction, EmulatorConfig, FaultConfig
from migration.arm import retry, shapes
from migration.arm.images import image_fingerprint
from migration.domain.facts import TAG_FINGERPRINT, TAG_MIGRATION
from tests.e2e.test_migration import APP, WEB, request
from tests.migration.arm.test_gallery import definition as web_definition
from tests.stack import RG, Stack

SCALE_SET = f"{RG}/apps-rg/providers/Microsoft.Compute/virtualMachineScaleSets/app-vmss"


def definition(stack: Stack, name: str) -> dict[str, Any]:
    found = stack.emulator.resource(f"{request()['gallery']}/images/{name}")
    assert found is not None
    properties: dict[str, Any] = found["properties"]
    return properties


def security_type(properties: dict[str, Any]) -> str | None:
    features = {f["name"]: f["value"] for f in properties.get("features") or []}
    return features.get("SecurityType")


async def test_gen2_is_trusted_launch_gen1_standard_and_each_version_states_its_life(
    stack: Stack,
) -> None:
    body = request(
        WEB,
        APP,
        deleteSource="afterReplication",
        endOfLifeDate="2031-06-30",
        blockDeletionBeforeEndOfLife=True,
    )
    plan = (await stack.call("POST", "migrations/plan", body)).body
    planned = {
        d["name"]: (d["hyperVGeneration"], d["securityType"]) for d in plan["definitionsToCreate"]
    }
    assert planned == {"web": ("V2", "TrustedLaunchSupported"), "app": ("V1", "Standard")}
    assert {i["blockDeletion"] for i in plan["images"]} == {True}
    assert {i["endOfLifeDate"][:10] for i in plan["images"]} == {"2031-06-30"}

    final = await stack.finish(await stack.start(body))
    assert [i["phase"] for i in final["images"]] == ["deleted", "deleted"]
    web, app = definition(stack, "web"), definition(stack, "app")
    assert (web["hyperVGeneration"], security_type(web)) == ("V2", "TrustedLaunchSupported")
    # Stated even where it is the old default: nothing is left to the api-version.
    assert (app["hyperVGeneration"], security_type(app)) == ("V1", "Standard")
    for image in final["images"]:
        assert image["securityType"] in ("TrustedLaunchSupported", "Standard")
        assert image["endOfLifeDate"].startswith("2031-06-30")
        assert image["deletionBlocked"] is True
        version = stack.emulator.resource(image["versionId"])
        assert version is not None
        properties = version["properties"]
        assert properties["publishingProfile"]["endOfLifeDate"].startswith("2031-06-30")
        assert properties["safetyProfile"]["blockDeletionBeforeEndOfLife"] is True


async def test_by_default_a_version_is_blocked_only_once_its_source_is_gone(stack: Stack) -> None:
    final = await stack.finish(await stack.start(request(WEB, deleteSource="afterReplication")))
    (image,) = final["images"]
    version = stack.emulator.resource(image["versionId"])
    assert version is not None
    # Stated, not Azure's default: unblocked while the source existed, blocked once it went.
    assert version["properties"]["safetyProfile"]["blockDeletionBeforeEndOfLife"] is True
    assert image["deletionBlocked"] is True
    assert version["properties"]["publishingProfile"]["endOfLifeDate"]


async def test_a_source_a_scale_set_uses_is_kept_and_the_plan_says_so(stack: Stack) -> None:
    stack.emulator.seed_scale_set(SCALE_SET, image_id=APP)
    body = request(WEB, APP, deleteSource="afterReplication")
    plan = (await stack.call("POST", "migrations/plan", body)).body
    assert [i["scaleSets"] for i in plan["images"]] == [[], [SCALE_SET]]
    final = await stack.finish(await stack.start(body))
    web, app = final["images"]
    assert web["phase"] == "deleted"
    assert app["phase"] == "kept"
    assert "app-vmss" in app["keptReason"]
    assert stack.image_exists(APP)
    # An operator who accepts the risk says so in the request.
    again = await stack.finish(
        await stack.start(request(APP, deleteSource="afterReplication", deleteInUseSources=True))
    )
    assert again["images"][0]["phase"] == "deleted"


async def test_an_adopted_version_without_an_end_of_life_gets_the_planned_one_not_azures(
    stack: Stack,
) -> None:
    """A version an older release made at api-version 2025-03-03 has no end of life. Blocking
    it before its source goes is an update PUT, which at 2026-03-03 would get six months from
    its published date: the app states the request's date instead, and says so up front."""
    definition_id = f"{request()['gallery']}/images/web"
    made = shapes.definition_body(web_definition(), "eastus")
    assert await stack.arm("PUT", definition_id, made) == 201
    source = stack.emulator.resource(WEB)
    assert source is not None
    old = {
        "location": "eastus",
        "tags": {TAG_FINGERPRINT: image_fingerprint(source), TAG_MIGRATION: "mig-old"},
        "properties": {
            "storageProfile": {"source": {"id": WEB}},
            "publishingProfile": {"targetRegions": [{"name": "eastus"}, {"name": "westus2"}]},
        },
    }
    version_id = f"{definition_id}/versions/1.0.0"
    assert await stack.arm("PUT", version_id, old, api_version="2025-03-03") == 201
    stack.clock.advance(timedelta(hours=6))

    body = request(WEB, deleteSource="afterReplication", endOfLifeDate="2031-06-30")
    (planned,) = (await stack.call("POST", "migrations/plan", body)).body["images"]
    assert planned["adopt"]
    assert planned["endOfLifeDate"] is None
    assert planned["endOfLifeWhenBlocked"].startswith("2031-06-30")
    final = await stack.finish(await stack.start(body))
    (image,) = final["images"]
    assert image["phase"] == "deleted"
    assert image["deletionBlocked"] is True
    assert image["endOfLifeDate"].startswith("2031-06-30")
    version = stack.emulator.resource(version_id)
    assert version is not None
    assert version["properties"]["publishingProfile"]["endOfLifeDate"].startswith("2031-06-30")
    assert version["properties"]["safetyProfile"]["blockDeletionBeforeEndOfLife"] is True


NO_SCALE_SET_READ = EmulatorConfig(
    faults=FaultConfig(
        denied_actions=(DeniedAction(action="Microsoft.Compute/virtualMachineScaleSets/read"),)
    )
)


@pytest.mark.parametrize("emulator_config", [NO_SCALE_SET_READ])
async def test_a_source_whose_scale_sets_cannot_be_listed_is_kept_and_the_plan_says_so(
    stack: Stack,
) -> None:
    body = request(WEB, deleteSource="afterReplication")
    (planned,) = (await stack.call("POST", "migrations/plan", body)).body["images"]
    assert (planned["scaleSets"], planned["scaleSetsUnknown"]) == ([], True)
    assert any("could not list the scale sets" in note for note in planned["notes"])
    final = await stack.finish(await stack.start(body))
    (image,) = final["images"]
    assert image["phase"] == "kept"
    assert "could not tell whether a scale set uses it" in image["keptReason"]
    assert stack.image_exists(WEB)


@pytest.mark.parametrize(
    "emulator_config", [EmulatorConfig(faults=FaultConfig(overloaded_sources=(WEB,)))]
)
async def test_an_overloaded_source_is_waited_out_like_throttling(stack: Stack) -> None:
    """ "Too many requests on source" for longer than any other failure is retried (more
    refusals than MAX_ATTEMPTS), then the overload passes and the image goes through."""
    migration_id = await stack.start(request(WEB, deleteSource="afterReplication"))

    def refused_at() -> list[datetime]:
        log = stack.emulator.request_log
        return sorted({r.time for r in log if r.fault == "source-throttled"})

    def held(status: dict[str, Any]) -> bool:
        assert status["images"][0]["phase"] not in ("failed", "kept"), status["images"][0]
        return len(refused_at()) > retry.MAX_ATTEMPTS

    await stack.until(held, migration_id)
    times = refused_at()
    assert times[-1] - times[0] >= timedelta(minutes=10), "waited on timers, not at once"
    stack.emulator.configure_faults(FaultConfig())  # the source's load passes
    final = await stack.finish(migration_id)
    (image,) = final["images"]
    assert image["phase"] == "deleted"
    version = stack.emulator.resource(image["versionId"])
    assert version is not None
    assert version["properties"]["provisioningState"] == "Succeeded"
    assert not stack.image_exists(WEB)


async def test_a_request_that_asks_no_deletion_block_gets_versions_without_one(
    stack: Stack,
) -> None:
    """blockDeletionBeforeEndOfLife: false is stated on the version (the 2026-03-03 default
    would be true) and kept when the source goes: the version stays deletable."""
    body = request(WEB, deleteSource="afterReplication", blockDeletionBeforeEndOfLife=False)
    (planned,) = (await stack.call("POST", "migrations/plan", body)).body["images"]
    assert (planned["blockDeletion"], planned["blockBeforeSourceDelete"]) == (False, False)
    final = await stack.finish(await stack.start(body))
    (image,) = final["images"]
    assert image["phase"] == "deleted"
    assert image["deletionBlocked"] is False
    version = stack.emulator.resource(image["versionId"])
    assert version is not None
    assert version["properties"]["safetyProfile"]["blockDeletionBeforeEndOfLife"] is False
    writes = [
        r
        for r in stack.emulator.request_log
        if r.method == "PUT" and r.path.lower().startswith(image["versionId"].lower())
    ]
    assert len(writes) == 1, "created unblocked, never re-written to block it"
    # Deletable now, before its end of life.
    assert await stack.arm("DELETE", image["versionId"]) == 202
