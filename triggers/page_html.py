"""The decision page and the status page as HTML: server-rendered, no script, one small
stylesheet inline (allowed by its hash in the Content-Security-Policy), every value escaped."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from migration.domain.state import ImagePhase, ImageState, MigrationState

STYLE = """
:root{--ink:#1b1f24;--muted:#5b6470;--line:#d8dde3;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;
--accent:#0969da;--paper:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
background:var(--paper)}
main{max-width:980px;margin:0 auto;padding:24px 20px 48px;background:#fff;min-height:100vh}
.app{margin:0;color:var(--muted);font-size:13px;letter-spacing:.04em;text-transform:uppercase}
h1{font-size:24px;margin:4px 0 8px}
h2{font-size:17px;margin:28px 0 8px}
.lead{margin:0 0 16px;color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0 0 16px}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;word-break:break-all}
.note{border-left:4px solid var(--accent);background:#ddf4ff;padding:10px 14px;margin:16px 0}
.note.warn{border-color:var(--warn);background:#fff8c5}
.note.bad{border-color:var(--bad);background:#ffebe9}
.note.ok{border-color:var(--ok);background:#dafbe1}
table{width:100%;border-collapse:collapse;margin:8px 0}
th,td{text-align:left;vertical-align:top;padding:8px 6px;border-bottom:1px solid var(--line)}
th{font-size:13px;color:var(--muted);font-weight:600}
.id{font-size:12px;color:var(--muted);word-break:break-all}
.region{display:inline-block;margin:0 6px 4px 0;padding:1px 8px;border-radius:10px;
font-size:12px;border:1px solid var(--line);white-space:nowrap}
.region.completed{border-color:var(--ok);color:var(--ok)}
.region.failed{border-color:var(--bad);color:var(--bad)}
.region.replicating,.region.pending{border-color:var(--warn);color:var(--warn)}
.fate{font-size:13px}
.fate.delete{color:var(--bad);font-weight:600}
form .field{margin:12px 0}
label{display:block;font-weight:600;margin-bottom:4px}
input[type=text],textarea{width:100%;max-width:520px;padding:7px 9px;border:1px solid var(--line);
border-radius:6px;font:inherit}
textarea{min-height:70px}
fieldset{border:1px solid var(--line);border-radius:6px;padding:8px 14px;margin:12px 0}
fieldset label{display:inline;font-weight:400}
button{font:inherit;font-weight:600;padding:9px 18px;border-radius:6px;border:0;color:#fff;
background:var(--ok);cursor:pointer}
button.reject{background:var(--bad)}
.more{color:var(--muted)}
"""
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


@dataclass
class Form:
    """The decision form: which decision, and what it needs to be sent back."""

    approve: bool
    csrf: str
    name: str = ""
    reason: str = ""
    signed_in_as: str | None = None
    errors: list[str] = field(default_factory=list)
    chosen: set[str] = field(default_factory=set)


@dataclass
class Page:
    title: str
    lead: str
    state: MigrationState | None = None
    runtime: str = ""
    regions: list[dict[str, Any]] = field(default_factory=list)
    images: Sequence[ImageState] = ()
    more_from: str | None = None  # the next page's token (triggers.status.page_token)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (level, text)
    form: Form | None = None
    refresh_seconds: int | None = None
    deciding: bool | None = None  # approving (True), rejecting (False), just viewing (None)


def _facts(page: Page) -> str:
    state = page.state
    if state is None:
        return ""
    approval = state.approval
    rows = [
        ("Migration", state.migration_id),
        ("Gallery", state.gallery),
        ("Status", f"{page.runtime} · {state.phase.value}"),
        ("Started by", state.trigger),
        ("Deletes sources", state.delete_source),
        ("Images", ", ".join(f"{n} {p}" for p, n in sorted(state.summary.items())) or "—"),
    ]
    if approval.required:
        rows.append(("Deadline", when(approval.deadline)))
        rows.append(
            (
                "Decisions",
                f"{approval.undecided} undecided, {approval.approved} approved, "
                f"{approval.rejected} rejected, {approval.timed_out} timed out",
            )
        )
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows)
    return f'<dl class="facts">{items}</dl>'


def _regions(page: Page) -> str:
    if not page.regions:
        return ""
    cells = "".join(
        f"<tr><td>{_e(r['name'])}</td><td>{r['completed']}</td><td>{r['replicating']}</td>"
        f"<td>{r['failed']}</td></tr>"
        for r in page.regions
    )
    return (
        "<h2>Regions</h2><table><thead><tr><th>Region</th><th>Completed</th>"
        f"<th>Copying</th><th>Failed</th></tr></thead><tbody>{cells}</tbody></table>"
    )


def _region_chips(image: ImageState) -> str:
    regions = image.regions or []
    if not regions:
        targets = ", ".join(t.name for t in image.target_regions)
        return f'<span class="more">{_e(targets or "no regions yet")}</span>'
    chips = []
    for region in regions:
        state = region.state.lower()
        text = (
            region.state
            if state in ("completed", "failed")
            else f"{region.state} {region.progress}%"
        )
        chips.append(
            f'<span class="region {_e(state)}" title="{_e(region.details)}">'
            f"{_e(region.name)}: {_e(text)}</span>"
        )
    return "".join(chips)


def undecided(image: ImageState) -> bool:
    return image.phase == ImagePhase.REPLICATED and image.decision is None


def _fate(page: Page, image: ImageState) -> str:
    if image.source_deleted:
        return '<span class="fate">source deleted</span>'
    if image.decision is not None:
        by = f" by {image.decision.by}" if image.decision.by else ""
        return f'<span class="fate">{_e(image.decision.decision.value + by)}</span>'
    if undecided(image):
        if page.deciding is True:
            return '<span class="fate delete">source deleted if approved</span>'
        if page.deciding is False:
            return '<span class="fate">source kept if rejected</span>'
        return '<span class="fate">awaiting a decision</span>'
    reason = f": {image.kept_reason}" if image.kept_reason else ""
    return f'<span class="fate">{_e(image.phase.value + reason)}</span>'


def _images(page: Page) -> str:
    choosing = page.form is not None
    rows = []
    for image in page.images:
        pick = ""
        if choosing:
            if undecided(image):
                checked = " checked" if page.form and image.source in page.form.chosen else ""
                pick = (
                    f'<td><input type="checkbox" name="image" value="{_e(image.source)}" '
                    f'aria-label="choose {_e(image.source.split("/")[-1])}"{checked}></td>'
                )
            else:
                pick = "<td></td>"
        version = f"{image.definition} {image.version}" if image.version else "—"
        rows.append(
            f'<tr class="image">{pick}<td><strong>{_e(image.source.split("/")[-1])}</strong>'
            f'<div class="id">{_e(image.source)}</div></td><td>{_e(version)}</td>'
            f"<td>{_region_chips(image)}</td><td>{_fate(page, image)}</td></tr>"
        )
    head = "<th>Choose</th>" if choosing else ""
    more = ""
    if page.more_from is not None:
        more = f'<p class="more"><a href="?from={page.more_from}">More images…</a></p>'
    return (
        f"<h2>Images</h2><table><thead><tr>{head}<th>Source image</th><th>New version</th>"
        f"<th>Replication</th><th>Source</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        f"</table>{more}"
    )


def _form(page: Page) -> tuple[str, str]:
    """The form's opening (fields and button) and its close, around the images table."""
    form = page.form
    if form is None:
        return "", ""
    verb = "Approve" if form.approve else "Reject"
    errors = "".join(f'<div class="note bad">{_e(e)}</div>' for e in form.errors)
    who = (
        f"<p>Signed in as <strong>{_e(form.signed_in_as)}</strong>; the decision records it.</p>"
        if form.signed_in_as
        else ""
    )
    required = "" if form.signed_in_as else " required"
    top = f"""<h2>{verb}</h2>{errors}<form method="post">{who}
<div class="field"><label for="by">Your name</label>
<input type="text" id="by" name="by" maxlength="200" autocomplete="name"{required}
value="{_e(form.name)}"></div>
<div class="field"><label for="reason">Reason</label>
<textarea id="reason" name="reason" maxlength="2000">{_e(form.reason)}</textarea></div>
<fieldset><legend>Which images</legend>
<input type="radio" id="scope-all" name="scope" value="all" checked>
<label for="scope-all">every image still undecided</label><br>
<input type="radio" id="scope-chosen" name="scope" value="chosen">
<label for="scope-chosen">only the images chosen below</label></fieldset>
<input type="hidden" name="csrf" value="{_e(form.csrf)}">
<button type="submit" class="{verb.lower()}">{verb}</button>"""
    return top, "</form>"


def render(page: Page) -> str:
    refresh = (
        f'<meta http-equiv="refresh" content="{page.refresh_seconds}">'
        if page.refresh_seconds
        else ""
    )
    notes = "".join(f'<div class="note {_e(level)}">{_e(text)}</div>' for level, text in page.notes)
    top, close = _form(page)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">{refresh}
<title>{_e(page.title)}</title><style>{STYLE}</style></head>
<body><main><p class="app">Gallery Migrator</p><h1>{_e(page.title)}</h1>
<p class="lead">{_e(page.lead)}</p>{notes}{_facts(page)}{top}{_images(page)}{close}
{_regions(page)}</main></body></html>"""
