"""The fleet approval's rules for decisions made through signed links: a link spends its round
and every earlier one, and nothing decides at or after the deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from migration.domain.state import ApprovalDecision, FleetApproval, MigrationState
from migration.durable.jobs import MigrationInput
from orchestrators.fleet_approval import FleetApprovalRun
from tests.migration import factories as f

ASKED = datetime(2030, 1, 1, tzinfo=UTC)
WEB, APP, DATA = (f.image_id(n) for n in ("web", "app", "data"))


class Context:
    """As much of the orchestration context as taking a decision uses."""

    def __init__(self) -> None:
        self.current_utc_datetime = ASKED
        self.calls: list[Any] = []

    def call_activity(self, name: str, payload: Any) -> object:
        self.calls.append((name, payload))
        return object()


def run() -> tuple[FleetApprovalRun, Context, dict[str, tuple[int, str]]]:
    context = Context()
    job = MigrationInput(
        migration_id="mig-1",
        request=f.parse(f.request_body(WEB, APP, DATA)),
        options=f.options(),
    )
    state = MigrationState(migration_id="mig-1", gallery=f.GALLERY, delete_source="afterApproval")
    state.approval = FleetApproval(
        required=True, deadline=ASKED + timedelta(days=1), asked_at=ASKED, undecided=3
    )
    approval = FleetApprovalRun(context, job, state, lambda _: None)
    undecided = {s.lower(): (0, s) for s in (WEB, APP, DATA)}
    return approval, context, undecided


def decision(link: int | None, *images: str, approved: bool = True) -> ApprovalDecision:
    return ApprovalDecision(approved=approved, by="ana", images=list(images) or None, link=link)


def test_a_link_spends_its_round_and_every_earlier_one() -> None:
    approval, _, undecided = run()
    approval.take(decision(1, WEB), undecided)
    assert approval.state.approval.links_spent == 1
    approval.take(decision(1, APP, approved=False), undecided)  # round 1's reject link
    approval.take(decision(0, APP), undecided)  # round 0's approve link
    assert set(undecided) == {APP.lower(), DATA.lower()}
    assert [r.images for r in approval.state.approval.decisions] == [1, 0, 0]
    assert [r.refused for r in approval.state.approval.decisions] == [
        None,
        "linkSpent",
        "linkSpent",
    ]
    approval.take(decision(2, APP), undecided)  # a newer message's link
    approval.take(decision(None, DATA, approved=False), undecided)  # the API has no round
    assert undecided == {}
    assert approval.state.approval.approved == 2
    assert approval.state.approval.rejected == 1


def test_nothing_decides_at_or_after_the_deadline() -> None:
    approval, context, undecided = run()
    context.current_utc_datetime = ASKED + timedelta(days=1)
    approval.take(decision(None), undecided)
    assert len(undecided) == 3
    assert approval.state.approval.decisions[-1].images == 0
    assert approval.state.approval.decisions[-1].refused == "late"
    assert context.calls == []  # nothing handed to a batch
