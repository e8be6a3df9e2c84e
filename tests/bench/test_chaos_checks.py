"""The chaos checks catch what they promise to catch: each violation made on purpose, against
a real emulator's state log, and a clean round that passes."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from activities import versions
from bench.chaos.checks import Checker
from bench.chaos.draws import (
    INVALID,
    ImageDraw,
    RequestDraw,
    RoundDraw,
    draw_round,
    invalid_request,
)
from bench.chaos.rounds import Played, Refused, Sent, Tracked
from emulator.regions import REGIONS
from emulator.testing import RunningEmulator
from migration.config.settings import Settings
from migration.domain.body import RequestInvalid
from migration.domain.validation import parse_request
from migration.durable.jobs import MigrationInput, Options
from tests.activities.arm_runs import user_function
from tests.activities.estate import GALLERY, MIGRATION, WEB, planned_version, request_body
from tests.migration.factories import limits

START = user_function(versions.start_version)


def job(arm: RunningEmulator, policy: str = "afterApproval") -> dict[str, Any]:
    settings = Settings()
    request = parse_request(
        request_body(WEB, deleteSource=policy), settings.request_limits(arm.clock.now())
    )
    options = Options.from_settings(settings, request)
    return MigrationInput(migration_id=MIGRATION, request=request, options=options).to_json()


def tracked(
    arm: RunningEmulator, *, phase: str, policy: str = "afterApproval", **image: Any
) -> Tracked:
    now = arm.clock.now()
    migration = Tracked(MIGRATION, "r0-q0", None, runtime="Completed")
    migration.view = {
        "createdTime": (now - timedelta(hours=1)).isoformat(),
        "lastUpdatedTime": now.isoformat(),
        "outcome": "allMigrated",
        "imageCount": 1,
        "trigger": "http",
    }
    migration.images = [{"source": WEB, "phase": phase, **image}]
    migration.input = job(arm, policy)
    return migration


def played(draw: RoundDraw, *migrations: Tracked, refused: list[Refused] | None = None) -> Played:
    return Played(
        draw,
        {m.id: m for m in migrations},
        refused or [],
        lost_starts=0,
        events_from=0,
        wall_s=1.0,
        kills=0,
        restart_wall_s=[],
        storms=0,
        timed_out=False,
    )


@pytest.fixture
def draw() -> RoundDraw:
    return draw_round(random.Random(1), 0, 2, kill_share=0.0, event_share=0.0)


def replicated(arm: RunningEmulator) -> None:
    START(planned_version(arm))
    arm.advance(6 * 3600)


def checks(arm: RunningEmulator, played: Played) -> set[tuple[str, str]]:
    found = Checker(arm.emulator, []).check(played)
    return {(v.check, v.detail.split(" ")[0]) for v in found}


def test_a_clean_round_passes(arm_endpoint: RunningEmulator, draw: RoundDraw) -> None:
    replicated(arm_endpoint)
    assert arm_endpoint.request("DELETE", f"{WEB}?api-version=2026-04-01").status == 202
    approved = tracked(
        arm_endpoint, phase="deleted", decision={"decision": "approved"}, replicatedAt="x"
    )
    approved.sent = [Sent(True, None, 202, 1)]
    assert Checker(arm_endpoint.emulator, []).check(played(draw, approved)) == []


def test_a_delete_before_any_copy_is_unsafe(arm_endpoint: RunningEmulator, draw: RoundDraw) -> None:
    START(planned_version(arm_endpoint))  # replicating, not Succeeded
    assert arm_endpoint.request("DELETE", f"{WEB}?api-version=2026-04-01").status == 202
    deleted = tracked(arm_endpoint, phase="deleted", decision={"decision": "approved"})
    deleted.sent = [Sent(True, None, 202, 1)]
    assert ("safety", "deleted") in checks(arm_endpoint, played(draw, deleted))


def test_deletes_the_policy_or_the_decisions_did_not_allow(
    arm_endpoint: RunningEmulator, draw: RoundDraw
) -> None:
    replicated(arm_endpoint)
    assert arm_endpoint.request("DELETE", f"{WEB}?api-version=2026-04-01").status == 202
    never = tracked(arm_endpoint, phase="deleted", policy="never")
    assert ("approvals", "deleted") in checks(arm_endpoint, played(draw, never))
    rejected = tracked(arm_endpoint, phase="deleted", decision={"decision": "rejected"})
    rejected.sent = [Sent(False, None, 202, 1)]
    found = checks(arm_endpoint, played(draw, rejected))
    assert ("approvals", "deleted") in found  # deleted with decision rejected
    assert ("approvals", "rejected") in found  # rejected but deleted
    forged = tracked(arm_endpoint, phase="deleted", decision={"decision": "approved"})
    assert ("approvals", "approved") in checks(arm_endpoint, played(draw, forged))


def test_an_approved_image_that_stays_and_a_delete_nobody_reports(
    arm_endpoint: RunningEmulator, draw: RoundDraw
) -> None:
    replicated(arm_endpoint)
    kept = tracked(
        arm_endpoint, phase="kept", decision={"decision": "approved"}, keptReason="why not"
    )
    kept.sent = [Sent(True, None, 202, 1)]
    assert ("approvals", "approved,") in checks(arm_endpoint, played(draw, kept))
    assert arm_endpoint.request("DELETE", f"{WEB}?api-version=2026-04-01").status == 202
    found = checks(arm_endpoint, played(draw, kept))
    assert ("approvals", "deleted,") in found  # the emulator saw a delete no migration reports


def test_an_image_kept_by_one_migration_may_be_deleted_by_a_later_one(
    arm_endpoint: RunningEmulator, draw: RoundDraw
) -> None:
    replicated(arm_endpoint)
    assert arm_endpoint.request("DELETE", f"{WEB}?api-version=2026-04-01").status == 202
    timed_out = tracked(arm_endpoint, phase="kept", decision={"decision": "timedOut"})
    timed_out.id = "mig-00000000000000000000000000000e55"
    later = tracked(arm_endpoint, phase="deleted", decision={"decision": "approved"})
    later.sent = [Sent(True, None, 202, 1)]
    assert ("approvals", "timedOut") in checks(arm_endpoint, played(draw, timed_out))
    assert checks(arm_endpoint, played(draw, timed_out, later)) == set()


def test_a_decision_on_every_image_leaves_none_timed_out(
    arm_endpoint: RunningEmulator, draw: RoundDraw
) -> None:
    replicated(arm_endpoint)
    late = tracked(arm_endpoint, phase="kept", decision={"decision": "timedOut"})
    late.sent = [Sent(True, None, 202, 1)]
    assert ("approvals", "timed") in checks(arm_endpoint, played(draw, late))


def test_migrations_that_did_not_end_well_or_in_time(
    arm_endpoint: RunningEmulator, draw: RoundDraw
) -> None:
    replicated(arm_endpoint)
    failed = tracked(arm_endpoint, phase="kept")
    failed.runtime = "Failed"
    assert ("ended", "runtime") in checks(arm_endpoint, played(draw, failed))
    stuck = tracked(arm_endpoint, phase="replicating", policy="never")
    assert ("ended", str(WEB)) in checks(arm_endpoint, played(draw, stuck))
    late = tracked(arm_endpoint, phase="kept", policy="never")
    late.view["createdTime"] = (arm_endpoint.clock.now() - timedelta(days=2)).isoformat()
    assert ("ended", "ended") in checks(arm_endpoint, played(draw, late))
    # Time the host was down moves the deadline.
    created = arm_endpoint.clock.now() - timedelta(days=2)
    down = [(created, created + timedelta(days=1, hours=23))]
    assert Checker(arm_endpoint.emulator, down).check(played(draw, late)) == []


def test_two_versions_of_one_source_in_one_migration(
    arm_endpoint: RunningEmulator, draw: RoundDraw
) -> None:
    payload = planned_version(arm_endpoint)
    START(payload)
    arm_endpoint.advance(6 * 3600)  # a source feeds one replication at a time
    payload["image"]["version"] = "1.0.1"
    assert START(payload)["ok"]
    migration = tracked(arm_endpoint, phase="kept", policy="never")
    assert ("versions", "2") in checks(arm_endpoint, played(draw, migration))


def test_a_refused_request_that_left_something_behind(
    arm_endpoint: RunningEmulator, draw: RoundDraw
) -> None:
    refused_key = "r0-q9"
    body = {"gallery": GALLERY, "images": [{"source": WEB}]}
    draw_of = RequestDraw(refused_key, body, invalid="version")
    replicated(arm_endpoint)  # a version from the image that only the refused request named
    refused = Refused(draw_of, 400, {})
    found = checks(arm_endpoint, played(draw, refused=[refused]))
    assert ("refused", "version") in found
    assert ("versions", "made") in found  # and by no migration the round started


# The field each kind of invalid request gets wrong.
WRONG_FIELD = {
    "region": "targetRegions[0].name",
    "unknownRegion": "targetRegions[1].name",
    "version": "images[0].version",
    "source": "images[0].source",
    "endOfLife": "endOfLifeDate",
    "replicas": "targetRegions[0].replicaCount",
    "stringCount": "targetRegions[0].replicaCount",
    "approvalTimeout": "approvalTimeout",
}


def test_every_kind_of_invalid_request_is_one_the_door_refuses() -> None:
    assert set(WRONG_FIELD) == set(INVALID)
    bystander = ImageDraw(WEB, "eastus", "Linux", "V2", 8, (), {}, bystander=True)
    # The regions ARM lists for any subscription of the emulator.
    known = limits(regions=lambda _: frozenset(REGIONS))
    for kind in INVALID:
        draw = invalid_request(random.Random(0), 0, "r0-q0", bystander, kind)
        with pytest.raises(RequestInvalid) as caught:
            parse_request(draw.body, known)
        assert WRONG_FIELD[kind] in {e.field for e in caught.value.errors}, kind
        assert draw.invalid == kind
        assert draw.body["images"][0]["definition"] == {"name": "refused-r0-q0"}


def test_an_invalid_request_that_was_accepted(arm_endpoint: RunningEmulator) -> None:
    draw = draw_round(random.Random(1), 0, 1, kill_share=0.0, event_share=0.0)
    bystander = ImageDraw(WEB, "eastus", "Linux", "V2", 8, (), {}, bystander=True)
    wrong = invalid_request(random.Random(0), 0, "r0-q7", bystander, "unknownRegion")
    draw.requests = [wrong]
    started = tracked(arm_endpoint, phase="kept", policy="never")
    assert checks(arm_endpoint, played(draw, started)) == set()  # started by another request
    started.key = wrong.key
    assert ("refused", "invalid") in checks(arm_endpoint, played(draw, started))
    answered = played(draw, refused=[Refused(wrong, 502, {})])
    assert ("refused", "invalid") in checks(arm_endpoint, answered)
