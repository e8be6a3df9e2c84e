"""An approval asked later than its batches expected still decides them: the migration asks
once every batch has replicated, which can be long after a batch started (ARM asking to come
back later, slots, other batches), and its batches must wait for its word."""

from __future__ import annotations

from typing import Any

from emulator import EmulatorConfig
from migration.durable.outcome import Outcome
from tests.stack import GALLERY, Stack, image_id, open_stack

WEB = image_id("web")
# Settings that make the batch's own estimate of the approval deadline short: the replication
# timeout plus the approval timeout, from the moment it started.
SETTINGS = {"REPLICATION_TIMEOUT": "PT1H", "APPROVAL_TIMEOUT": "PT30M"}
# Version PUTs answered "come back in 15 minutes" this many times: two simulated hours before
# the version even starts.
REFUSALS = 7


async def test_an_approval_asked_after_the_batch_estimate_deletes_the_approved_source() -> None:
    calls = {"start_version": 0}
    stack_box: list[Stack] = []

    def start_version(payload: Any) -> Any:
        calls["start_version"] += 1
        if calls["start_version"] <= REFUSALS:
            return Outcome.failure("Busy", "come back later", retry_after=900).to_json()
        real = stack_box[0].host.functions["start_version"].user_function
        return real(payload)

    async with open_stack(
        SETTINGS, EmulatorConfig(), function_overrides={"start_version": start_version}
    ) as stack:
        stack_box.append(stack)
        migration_id = await stack.start(
            {"gallery": GALLERY, "images": [{"source": WEB}], "deleteSource": "afterApproval"}
        )
        waiting = await stack.awaiting_approval(migration_id)
        assert waiting["awaitingApproval"], waiting
        answer = await stack.call("POST", f"migrations/{migration_id}/approve", {"by": "ann"})
        assert answer.status == 202, answer.body
        final = await stack.finish(migration_id)
    (image,) = final["images"]
    assert image["decision"]["decision"] == "approved"
    assert image["phase"] == "deleted", image
    assert not stack.image_exists(WEB)
