"""Inspection against the emulator: what a plan needs, read a few reads at a time if it must."""

from __future__ import annotations

import pytest

from emulator import DeniedAction, FaultConfig
from emulator.testing import SUBSCRIPTION, RunningEmulator
from migration.arm import galleries, retry
from migration.arm.errors import Throttled
from migration.arm.inspection import complete, inspect, inspect_and_plan
from migration.config.settings import Settings
from migration.domain.facts import GALLERY_READ, Inspection, Wait
from migration.domain.plan import given_up
from tests.migration.arm.test_gallery import GALLERY, OTHER, WEB, definition, seed
from tests.migration.factories import NOW, parse


def starve_reads(arm_endpoint: RunningEmulator, capacity: int) -> None:
    """ARM's read bucket holds ``capacity`` reads and refills only as the clock moves."""
    throttle = {"enabled": True, "reads": {"capacity": capacity, "refill_per_second": 1}}
    arm_endpoint.emulator.configure_faults(FaultConfig.model_validate({"throttle": throttle}))


def test_a_request_needing_more_reads_than_the_bucket_holds_is_read_in_rounds(
    arm_endpoint: RunningEmulator,
) -> None:
    seed(arm_endpoint)
    galleries.ensure_definition(GALLERY, definition(), "eastus")
    request = parse({"gallery": GALLERY, "images": [{"source": WEB}, {"source": OTHER}]})
    starve_reads(arm_endpoint, capacity=2)  # two images, the gallery, its list, one listing
    first = inspect(request)
    assert not first.complete
    assert first.throttled
    assert first.longest_wait >= 1
    rounds = [first]
    while not rounds[-1].complete:
        assert len(rounds) < 5, "every round must read something new"
        # As the orchestration does: wait what ARM asked, backing off for throttling.
        wait = retry.wait_before_retry(rounds[-1].longest_wait, len(rounds), throttled=True)
        arm_endpoint.advance(wait)
        rounds.append(inspect(request, rounds[-1]))
    done = rounds[-1]
    assert set(done.images) == {WEB.lower(), OTHER.lower()}
    assert done.gallery is not None
    assert done.gallery.exists
    assert set(done.versions) == {"web"}
    # An image read that passed stays known: no image is read twice. (The gallery's read is
    # two calls, its own and its definitions' list, so half of it may be read again.)
    images = [
        r.path
        for r in arm_endpoint.emulator.request_log
        if r.status == 200 and r.operation == "images.get"
    ]
    assert sorted(images) == sorted(set(images))
    assert len(images) == 2


def test_callers_that_cannot_wait_get_the_throttling_raised(
    arm_endpoint: RunningEmulator,
) -> None:
    seed(arm_endpoint)
    starve_reads(arm_endpoint, capacity=1)
    partial = inspect(parse({"gallery": GALLERY, "images": [{"source": WEB}]}))
    with pytest.raises(Throttled) as caught:
        complete(partial)
    assert caught.value.retry_after == partial.longest_wait


def test_giving_up_blocks_only_what_could_not_be_read(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    request = parse({"gallery": GALLERY, "images": [{"source": WEB}, {"source": OTHER}]})
    starve_reads(arm_endpoint, capacity=2)
    partial = inspect(request)
    settled = given_up(request, partial)
    assert settled.complete
    assert set(settled.images) | set(settled.unreadable) == {WEB.lower(), OTHER.lower()}
    for key in partial.waits:
        if key.startswith("image:"):
            assert "could not be read in time" in settled.unreadable[key.removeprefix("image:")]
    if GALLERY_READ in partial.waits:
        assert settled.gallery is not None
        assert not settled.gallery.exists


SCALE_SET_READ = DeniedAction(action="Microsoft.Compute/virtualMachineScaleSets/read")


def test_a_refused_scale_set_listing_is_not_taken_for_none(arm_endpoint: RunningEmulator) -> None:
    """An empty ``scaleSets`` must not say "no scale set uses it" when the listing was refused
    (403: the role lacks virtualMachineScaleSets/read at the subscription)."""
    seed(arm_endpoint)
    arm_endpoint.emulator.configure_faults(FaultConfig(denied_actions=(SCALE_SET_READ,)))
    request = parse({"gallery": GALLERY, "images": [{"source": WEB}]})
    inspection, plan = inspect_and_plan(request, Settings().plan_rules(), NOW)
    (reason,) = inspection.scale_sets_unlisted.values()
    assert "AuthorizationFailed" in reason
    (image,) = plan.images
    assert image.ready, "the migration goes on: only the delete step needs to know"
    assert (image.scale_sets, image.scale_sets_unknown) == ([], True)
    assert any(
        note.startswith(f"could not list the scale sets of subscription {SUBSCRIPTION}")
        for note in image.notes
    )
    # Known for good: a later round of the same inspection does not list them again.
    listings = len(arm_endpoint.emulator.request_log)
    again = inspect(request, inspection)
    assert again.scale_sets_unlisted == inspection.scale_sets_unlisted
    assert not [
        r
        for r in arm_endpoint.emulator.request_log[listings:]
        if r.operation == "virtual_machine_scale_sets.list_all"
    ]


def test_a_listing_that_waits_too_long_is_unknown_too() -> None:
    request = parse({"gallery": GALLERY, "images": [{"source": WEB}]})
    waited = Inspection(waits={f"scaleSets:{SUBSCRIPTION}": Wait(seconds=60, message="busy")})
    settled = given_up(request, waited)
    assert settled.scale_sets_unlisted == {SUBSCRIPTION: "could not be read in time: busy"}


def test_a_listed_subscription_is_not_unknown(arm_endpoint: RunningEmulator) -> None:
    seed(arm_endpoint)
    request = parse({"gallery": GALLERY, "images": [{"source": WEB}]})
    inspection, plan = inspect_and_plan(request, Settings().plan_rules(), NOW)
    assert inspection.scale_sets_unlisted == {}
    assert not plan.images[0].scale_sets_unknown
