"""Notices laid out for Teams, Slack and any webhook: what they say, their limits, and the
Adaptive Cards library's own parser on every card."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from migration.domain.facts import RegionStatus
from migration.domain.state import Decision, ImageDecision, ImagePhase, ImageState
from migration.notify.destinations import DestinationKind
from migration.notify.notice import ApprovalCounts, Links, NoticeRequest, compose
from migration.notify.payloads import (
    SLACK_MAX_BLOCKS,
    TEAMS_MAX_BYTES,
    payload_for,
    teams_card,
)
from migration.notify.schedule import NoticeKind

CARDS = Path(__file__).resolve().parents[2] / "cards"
AT = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
LINKS = Links(
    approve="https://app.example/api/approvals/v1.a.b",
    reject="https://app.example/api/approvals/v1.c.d",
    page="https://app.example/api/migrations/mig-1/page",
)


def image(n: int, phase: ImagePhase = ImagePhase.REPLICATED, **more: Any) -> ImageState:
    return ImageState(
        index=n,
        source=f"/subscriptions/s/resourceGroups/images-rg/providers/Microsoft.Compute/images/image-{n:04d}",
        phase=phase,
        definition=f"image-{n:04d}",
        version="1.0.0",
        regions=[
            RegionStatus(name="eastus", state="Completed", progress=100),
            RegionStatus(name="westeurope", state="Replicating", progress=40),
        ],
        **more,
    )


def request(kind: NoticeKind, count: int, undecided: int | None = None) -> NoticeRequest:
    return NoticeRequest(
        kind=kind,
        migration_id="mig-1",
        gallery="/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/galleries/gal",
        trigger="eventGrid",
        delete_source="afterApproval",
        batches=1,
        image_count=count,
        at=AT,
        summary={"replicated": count},
        approval=ApprovalCounts(undecided=count if undecided is None else undecided),
        deadline=None if kind == NoticeKind.OUTCOME else AT + timedelta(days=3),
        round=0,
    )


def parse_cards(cards: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Every validation event (error or warning) the Adaptive Cards library raises per card."""
    node = shutil.which("node")
    assert node, "node is missing: `make test` installs it"
    assert (CARDS / "node_modules" / "adaptivecards").is_dir(), "run `make test` (npm ci)"
    done = subprocess.run(
        [node, str(CARDS / "check-card.js")],
        input=json.dumps(cards),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    events: list[list[dict[str, Any]]] = json.loads(done.stdout)
    return events


def test_the_card_parser_package_names_the_test_that_uses_it() -> None:
    package = json.loads((CARDS / "package.json").read_text())
    named = package["description"].rsplit(" ", 1)[-1]
    assert (CARDS.parent.parent / named).resolve() == Path(__file__).resolve()


def test_every_card_passes_the_adaptive_cards_parser_without_warnings() -> None:
    rejected = image(
        2, ImagePhase.KEPT, kept_reason="rejected by [eve](https://evil.example): *no*"
    )
    rejected.decision = ImageDecision(decision=Decision.REJECTED, by="eve", at=AT)
    notices = [
        compose(request(kind, 3), [image(0), image(1), image(2)], 10, LINKS)
        for kind in (NoticeKind.AWAITING, NoticeKind.REMINDER, NoticeKind.ESCALATION)
    ]
    notices.append(
        compose(
            request(NoticeKind.OUTCOME, 3),
            [image(0, ImagePhase.DELETED), rejected],
            10,
            Links(page=LINKS.page),
        )
    )
    notices.append(
        compose(request(NoticeKind.AWAITING, 800), [image(n) for n in range(800)], 800, LINKS)
    )
    cards = [payload_for(DestinationKind.TEAMS, n)["attachments"][0]["content"] for n in notices]
    # Check the parser does report problems, so that silence means something.
    broken = {**cards[0], "actions": [{"type": "Action.OpenUrl", "title": "x"}]}
    events = parse_cards([*cards, broken])
    assert events[:-1] == [[]] * len(cards)
    assert any("url" in e["message"] for e in events[-1])


def test_a_card_opens_links_only() -> None:
    card = teams_card(compose(request(NoticeKind.AWAITING, 1), [image(0)], 10, LINKS))
    assert {a["type"] for a in card["actions"]} == {"Action.OpenUrl"}
    assert [a["url"] for a in card["actions"]] == [LINKS.approve, LINKS.reject, LINKS.page]
    text = json.dumps(card, ensure_ascii=False)
    assert "image-0000" in text
    assert "1.0.0" in text
    assert "westeurope … Replicating 40%" in text
    assert "2030-01-04 09:00 UTC" in text


def test_a_fleet_is_summarised_within_each_limit() -> None:
    notice = compose(request(NoticeKind.AWAITING, 900), [image(n) for n in range(900)], 900, LINKS)
    teams = payload_for(DestinationKind.TEAMS, notice)
    assert len(json.dumps(teams).encode()) <= TEAMS_MAX_BYTES
    card = teams["attachments"][0]["content"]
    listed = sum(1 for b in card["body"] if b["type"] == "Container")
    assert 10 < listed < 900
    assert f"and {900 - listed} more image(s) on the page" in json.dumps(card)
    slack = payload_for(DestinationKind.SLACK, notice)
    assert len(slack["blocks"]) <= SLACK_MAX_BLOCKS
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in slack["blocks"])
    # The generic webhook gets what the settings list (here all 900, under its own bound).
    webhook = payload_for(DestinationKind.WEBHOOK, notice)
    assert webhook["schema"].endswith("/notice")
    assert webhook["moreImages"] + len(webhook["images"]) == 900


def test_what_people_wrote_cannot_add_links() -> None:
    kept = image(
        0,
        ImagePhase.KEPT,
        kept_reason="rejected by <https://evil.example|boss> [x](https://evil.example)",
    )
    notice = compose(request(NoticeKind.OUTCOME, 1), [kept], 10, Links())
    slack = json.dumps(payload_for(DestinationKind.SLACK, notice))
    assert "<https://evil.example|boss>" not in slack
    assert "&lt;https://evil.example|boss&gt;" in slack
    card = json.dumps(payload_for(DestinationKind.TEAMS, notice))
    assert "[x](https://evil.example)" not in card
    assert "\\\\[x\\\\]\\\\(https://evil.example\\\\)" in card


def test_the_outcome_lists_what_needs_a_look_first() -> None:
    images = [
        image(0, ImagePhase.DELETED, source_deleted=True),
        image(1, ImagePhase.FAILED, kept_reason="the migration of this image failed"),
        image(2, ImagePhase.KEPT, kept_reason="no approval before the approval timeout"),
    ]
    notice = compose(request(NoticeKind.OUTCOME, 3), images, 2, Links())
    assert [i.phase for i in notice.images] == ["failed", "kept"]
    assert notice.more_images == 1
    assert notice.links.approve is None


@pytest.mark.parametrize("kind", list(DestinationKind))
def test_a_notice_with_no_images_still_lays_out(kind: DestinationKind) -> None:
    notice = compose(request(NoticeKind.OUTCOME, 0), [], 10, Links())
    assert payload_for(kind, notice)
