"""A notice laid out for each kind of destination, within each one's limits.

- Teams (a Workflows webhook): a message with one Adaptive Card. Workflows take Adaptive Cards
  only, and a card posted by a webhook can open links (``Action.OpenUrl``) but not submit
  (``Action.Submit`` needs a bot): approve and reject are links to the decision page. A message
  is at most about 28 KB ("Create Incoming Webhooks" and the Teams connector's known limits,
  learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook,
  learn.microsoft.com/connectors/teams/); cards are kept under :data:`TEAMS_MAX_BYTES`.
- Slack (an incoming webhook): Block Kit with link buttons (a plain webhook has no interactivity
  either). At most 50 blocks a message, 3,000 characters in a section's text, 150 in a header,
  75 in a button's text and 3,000 in its URL (docs.slack.dev/reference/block-kit/blocks,
  .../block-elements/button-element).
- Any other webhook: the notice itself, as JSON (``migration.notify.notice``).

Text people wrote (names, reasons) is escaped for each format, so that it cannot add links.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from migration.notify.destinations import DestinationKind
from migration.notify.notice import ImageLine, Notice
from migration.notify.schedule import NoticeKind

# Below the documented ~28 KB, with room for what Workflows wraps around a card.
TEAMS_MAX_BYTES = 24 * 1024
CARD_VERSION = "1.4"
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000
SLACK_MAX_HEADER = 150
SLACK_MAX_URL = 3000
# The largest generic notice (it lists NOTIFY_MAX_IMAGES images; this bounds a huge setting).
WEBHOOK_MAX_BYTES = 256 * 1024

_STATE_MARK = {"completed": "✓", "failed": "✗"}


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "none"


def _size(payload: Any) -> int:
    return len(json.dumps(payload).encode("utf-8"))


def _regions(image: ImageLine) -> str:
    parts = []
    for region in image.regions:
        mark = _STATE_MARK.get(region.state.lower(), "…")
        progress = "" if region.state.lower() in _STATE_MARK else f" {region.progress}%"
        parts.append(f"{region.name} {mark} {region.state}{progress}")
    return " · ".join(parts) or "no regions yet"


def _version(image: ImageLine) -> str:
    if image.definition and image.version:
        return f"{image.definition} {image.version}"
    return "no version"


def _fate(notice: Notice, image: ImageLine) -> str:
    if notice.event != NoticeKind.OUTCOME:
        return ""
    if image.source_deleted:
        return "source deleted"
    return f"kept: {image.kept_reason}" if image.kept_reason else image.phase


def lead(notice: Notice) -> str:
    """The sentence every layout starts with."""
    count = notice.approval.undecided if notice.approval else 0
    if notice.event == NoticeKind.OUTCOME:
        deleted = notice.summary.get("deleted", 0)
        return (
            f"Migration {notice.migration_id} finished: {deleted} of {notice.image_count} "
            "source images deleted."
        )
    text = (
        f"Migration {notice.migration_id} waits for a decision on {count} image(s): approving "
        f"deletes their source managed images, each now copied to the gallery. Decide before "
        f"{when(notice.deadline)}; undecided images are kept then."
    )
    if notice.event == NoticeKind.ESCALATION:
        text = "Nobody has decided yet. " + text
    return text


def summary_line(notice: Notice) -> str:
    return ", ".join(f"{n} {phase}" for phase, n in sorted(notice.summary.items())) or "none"


# -- Teams ---------------------------------------------------------------------------------------

# What makes links or emphasis in a TextBlock's Markdown (CommonMark escapes with a backslash).
_CARD_MARKDOWN = re.compile(r"([\\`*_\[\]()<>])")


def card_text(text: str) -> str:
    """Text people wrote (a reason, a name), shown as itself in a card's TextBlock. Ids, names
    of Azure resources and the app's own sentences need no escaping (ARM names have none of
    these characters but ``_``, which CommonMark does not read inside a word)."""
    return _CARD_MARKDOWN.sub(r"\\\1", text)


def _block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def teams_card(notice: Notice) -> dict[str, Any]:
    """The Adaptive Card alone (``teams_message`` wraps it for a Workflows webhook)."""
    body: list[dict[str, Any]] = [
        _block(notice.title, size="Large", weight="Bolder"),
        _block(
            lead(notice),
            color="Attention" if notice.event == NoticeKind.ESCALATION else "Default",
        ),
        {
            "type": "FactSet",
            "facts": [
                {"title": "Migration", "value": notice.migration_id},
                {"title": "Gallery", "value": notice.gallery.split("/")[-1]},
                {"title": "Images", "value": summary_line(notice)},
                {"title": "Started by", "value": notice.trigger},
                {
                    "title": "Deadline" if notice.asks_for_decision else "Finished",
                    "value": when(notice.deadline or notice.sent_at),
                },
            ],
        },
    ]
    for image in notice.images:
        lines = [f"**{image.name}** → {_version(image)}"]
        if fate := _fate(notice, image):
            lines.append(card_text(fate))
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    _block("  \n".join(lines)),
                    _block(_regions(image), isSubtle=True, spacing="None"),
                ],
            }
        )
    if notice.more_images:
        body.append(_block(f"… and {notice.more_images} more image(s) on the page."))
    for problem in notice.problems[:3]:
        body.append(_block(card_text(problem), color="Warning", size="Small"))
    actions = []
    if notice.links.approve:
        actions.append(_open("Approve…", notice.links.approve, "positive"))
    if notice.links.reject:
        actions.append(_open("Reject…", notice.links.reject, "destructive"))
    if notice.links.page:
        actions.append(_open("Open the migration", notice.links.page))
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def _open(title: str, url: str, style: str | None = None) -> dict[str, Any]:
    action = {"type": "Action.OpenUrl", "title": title, "url": url}
    if style:
        action["style"] = style
    return action


def teams_message(notice: Notice) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": teams_card(notice),
            }
        ],
    }


# -- Slack ---------------------------------------------------------------------------------------


def slack_text(text: str) -> str:
    """Text shown as itself in Slack's mrkdwn: only ``& < >`` are special (links are
    ``<url|text>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    if len(text) > SLACK_MAX_SECTION:
        text = text[: SLACK_MAX_SECTION - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def slack_message(notice: Notice) -> dict[str, Any]:
    header = notice.title[:SLACK_MAX_HEADER]
    intro = slack_text(lead(notice))
    if notice.event == NoticeKind.ESCALATION:
        intro = "<!here> " + intro
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        _section(intro),
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": slack_text(
                        f"Gallery {notice.gallery.split('/')[-1]} · images: "
                        f"{summary_line(notice)} · started by {notice.trigger}"
                    ),
                }
            ],
        },
    ]
    for image in notice.images:
        text = f"*{slack_text(image.name)}* → {slack_text(_version(image))}"
        if fate := _fate(notice, image):
            text += f"\n{slack_text(fate)}"
        blocks.append(_section(f"{text}\n{slack_text(_regions(image))}"))
    if notice.more_images:
        blocks.append(_section(f"… and {notice.more_images} more image(s) on the page."))
    for problem in notice.problems[:3]:
        blocks.append(_section(f":warning: {slack_text(problem)}"))
    buttons = []
    for label, url, style in (
        ("Approve…", notice.links.approve, "primary"),
        ("Reject…", notice.links.reject, "danger"),
        ("Open the migration", notice.links.page, None),
    ):
        if url and len(url) <= SLACK_MAX_URL:
            button: dict[str, Any] = {
                "type": "button",
                "text": {"type": "plain_text", "text": label},
                "url": url,
            }
            if style:
                button["style"] = style
            buttons.append(button)
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    # The fallback text shows in notifications and where blocks cannot be shown.
    return {"text": slack_text(f"{notice.title}: {lead(notice)}"), "blocks": blocks}


# -- the generic webhook and fitting -------------------------------------------------------------


def webhook_payload(notice: Notice) -> dict[str, Any]:
    return notice.model_dump(mode="json", by_alias=True)


def _fits(kind: DestinationKind, payload: dict[str, Any]) -> bool:
    if kind == DestinationKind.TEAMS:
        return _size(payload) <= TEAMS_MAX_BYTES
    if kind == DestinationKind.SLACK:
        return len(payload["blocks"]) <= SLACK_MAX_BLOCKS
    return _size(payload) <= WEBHOOK_MAX_BYTES


BUILDERS: dict[DestinationKind, Callable[[Notice], dict[str, Any]]] = {
    DestinationKind.TEAMS: teams_message,
    DestinationKind.SLACK: slack_message,
    DestinationKind.WEBHOOK: webhook_payload,
}


def payload_for(kind: DestinationKind, notice: Notice) -> dict[str, Any]:
    """``notice`` laid out for ``kind``, listing as many of its images as the format takes."""
    build = BUILDERS[kind]
    listed = len(notice.images)
    while True:
        payload = build(notice.shortened(listed))
        if listed == 0 or _fits(kind, payload):
            return payload
        listed -= 1 if listed <= 8 else max(1, listed // 4)
