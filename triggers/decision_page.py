"""The pages people decide on: the page behind a signed approve or reject link, and the
read-only status page of a migration for holders of a function key.

Both read the migration through the status read model (``triggers.status``) and decide nothing
on GET: link previewers and mail scanners fetch every link. A decision is a POST of the page's
form, taken by the one decision path (``triggers.approvals.decide``), and protected against
cross-site forgery with a signed double-submit: the GET sets a random cookie (``SameSite=Strict``,
``HttpOnly``) and puts ``HMAC(link key, link token | cookie)`` in the form; the POST must bring
both. A page elsewhere cannot read the cookie, cannot compute the value, and its cross-site POST
carries no Strict cookie; and nothing is kept on the server, so any instance can check it.
"""

from __future__ import annotations

import json
import logging
import secrets
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import azure.durable_functions as df
import azure.functions as func
from pydantic import ValidationError

from migration.config.settings import Settings, SettingsError
from migration.domain.state import ApprovalDecision, DecisionRecord, MigrationState, Phase
from migration.durable.jobs import ACTIVE
from migration.notify import tokens
from triggers import page_html
from triggers.approvals import DecisionBody, decide
from triggers.page_html import Form, Page
from triggers.signed_in import SignedIn, signed_in
from triggers.status import find_state, page_token, parse_page_token, read_fleet, read_images
from triggers.views import regions_json

bp = df.Blueprint()
log = logging.getLogger(__name__)

PAGE_SIZE = 100
MAX_FORM_BYTES = 64 * 1024
REFRESH_SECONDS = 30
COOKIE = "gm-decide"


def _page_response(page: Page, status: int = 200, cookie: str | None = None) -> func.HttpResponse:
    headers = {
        "Content-Security-Policy": page_html.CONTENT_SECURITY_POLICY,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }
    if cookie is not None:
        headers["Set-Cookie"] = cookie
    return func.HttpResponse(
        page_html.render(page),
        status_code=status,
        mimetype="text/html",
        headers=headers,
        charset="utf-8",
    )


def _refusal(title: str, text: str, status: int) -> func.HttpResponse:
    return _page_response(Page(title=title, lead=text), status)


async def _content(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    migration_id: str,
    page: Page,
) -> Page:
    """Fill ``page`` with the migration's images (a page of them) and regions."""
    fleet = await read_fleet(client, migration_id)
    first = parse_page_token(req.params.get("from") or "") or (0, 0)
    page.images, more = await read_images(client, fleet, start=first, top=PAGE_SIZE)
    page.more_from = None if more is None else page_token(more)
    page.regions = regions_json(fleet)
    return page


# -- the status page (function key) ------------------------------------------------------------


@bp.route(route=tokens.STATUS_PAGE_ROUTE, methods=["GET"])
@bp.durable_client_input(client_name="client")
async def migration_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    migration_id = req.route_params.get("id", "")
    found = await find_state(client, migration_id)
    if found is None:
        return _refusal("No such migration", f"There is no migration '{migration_id}'.", 404)
    status, state = found
    running = status.runtime_status in ACTIVE
    page = Page(
        title=f"Migration {migration_id}",
        lead="A live view of the migration (read-only; it refreshes itself while it runs).",
        state=state,
        runtime=status.runtime_status.value if status.runtime_status else "Unknown",
        refresh_seconds=REFRESH_SECONDS if running else None,
    )
    return _page_response(await _content(req, client, migration_id, page))


# -- the decision page (a signed link) ----------------------------------------------------------


class Link:
    """A link's token checked against the app's key and the migration it names."""

    def __init__(self, settings: Settings, token: str, claims: tokens.LinkClaims) -> None:
        self.settings = settings
        self.token = token
        self.claims = claims

    @property
    def key(self) -> bytes:
        assert self.settings.approval_link_key is not None
        return self.settings.approval_link_key


def _open_link(req: func.HttpRequest) -> Link | func.HttpResponse:
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        log.error("settings: %s", error)
        return _refusal("Not available", "The app's settings are not valid.", 500)
    token = req.route_params.get("token", "")
    if settings.approval_link_key is None:
        return _refusal("Not available", "This app does not take decisions by link.", 404)
    try:
        claims = tokens.verify(settings.approval_link_key, token)
    except tokens.TokenError:
        # Never say more: a forged or altered link learns nothing.
        return _refusal("This link is not valid", "It was altered, or not made by this app.", 403)
    return Link(settings, token, claims)


def _why_not(link: Link, state: MigrationState, active: bool) -> tuple[int, str, str] | None:
    """Why this link can no longer decide (status, level, text), or None when it can."""
    approval = state.approval
    if approval.deadline is None or approval.deadline != link.claims.deadline:
        return 410, "bad", "This link is not for this migration's approval."
    if approval.timed_out or (approval.deadline and not active and approval.undecided):
        return (
            410,
            "warn",
            f"This link expired at the deadline ({page_html.when(approval.deadline)}): the "
            "images nobody decided on were kept.",
        )
    if link.claims.round <= approval.links_spent:
        return 410, "warn", "This link was used: a decision was recorded with it (or a newer one)."
    if not active or state.phase != Phase.AWAITING_APPROVAL or not approval.awaiting:
        return 409, "ok", "There is nothing left to decide: every image is decided."
    return None


def _page_of(link: Link, state: MigrationState, runtime: str) -> Page:
    verb = "Approve" if link.claims.approved else "Reject"
    count = state.approval.undecided
    if link.claims.approved:
        lead = (
            f"Approving deletes the source managed image of each undecided image ({count}): "
            "each has a gallery version that is Succeeded and Completed in every target "
            "region, and the app checks that again right before it deletes."
        )
    else:
        lead = f"Rejecting keeps the source managed images ({count} undecided); nothing is deleted."
    return Page(
        title=f"{verb}: migration {state.migration_id}",
        lead=lead,
        state=state,
        runtime=runtime,
        deciding=link.claims.approved,
    )


def _cookie_value(req: func.HttpRequest) -> str | None:
    try:
        jar = SimpleCookie(req.headers.get("cookie") or "")
    except CookieError:
        return None
    morsel = jar.get(_cookie_name(req))
    value = morsel.value if morsel else ""
    return value if value.isascii() and 20 <= len(value) <= 100 else None


def _secure(req: func.HttpRequest) -> bool:
    return str(req.url).startswith("https://")


def _cookie_name(req: func.HttpRequest) -> str:
    # __Host-: only this host, Secure, Path=/ (a sibling site cannot set or shadow it).
    return f"__Host-{COOKIE}" if _secure(req) else COOKIE


def _set_cookie(req: func.HttpRequest, value: str) -> str:
    secure = "; Secure" if _secure(req) else ""
    return f"{_cookie_name(req)}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"


async def _load(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> tuple[Link, MigrationState, bool, str] | func.HttpResponse:
    link = _open_link(req)
    if isinstance(link, func.HttpResponse):
        return link
    found = await find_state(client, link.claims.migration_id)
    if found is None:
        return _refusal("No such migration", "The migration of this link is gone.", 404)
    status, state = found
    runtime = status.runtime_status.value if status.runtime_status else "Unknown"
    return link, state, status.runtime_status in ACTIVE, runtime


@bp.route(route=tokens.DECISION_ROUTE, methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def decision_page(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    loaded = await _load(req, client)
    if isinstance(loaded, func.HttpResponse):
        return loaded
    link, state, active, runtime = loaded
    page = _page_of(link, state, runtime)
    status, cookie = 200, None
    if (why := _why_not(link, state, active)) is not None:
        status, level, text = why
        page.notes.append((level, text))
    else:
        who = signed_in(req, link.settings.easy_auth_enabled)
        if link.settings.require_sign_in and who is None:
            page.notes.append(("warn", _sign_in_text()))
        else:
            value = _cookie_value(req) or secrets.token_urlsafe(32)
            cookie = _set_cookie(req, value)
            page.form = _form(link, value, who)
    return _page_response(await _content(req, client, state.migration_id, page), status, cookie)


def _sign_in_text() -> str:
    return (
        "Decisions here need a signed-in account: sign in (/.auth/login/aad) and open this "
        "link again."
    )


def _form(link: Link, cookie: str, who: SignedIn | None) -> Form:
    return Form(
        approve=link.claims.approved,
        csrf=tokens.form_token(link.key, link.token, cookie),
        name=who.name if who else "",
        signed_in_as=who.record() if who else None,
    )


@bp.route(route=tokens.DECISION_ROUTE, methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.durable_client_input(client_name="client")
async def decision_post(
    req: func.HttpRequest, client: df.DurableOrchestrationClient
) -> func.HttpResponse:
    loaded = await _load(req, client)
    if isinstance(loaded, func.HttpResponse):
        return loaded
    link, state, active, runtime = loaded
    fields = _form_fields(req)
    cookie = _cookie_value(req)
    if (
        fields is None
        or req.headers.get("sec-fetch-site", "").lower() == "cross-site"
        or cookie is None
        or not tokens.form_token_matches(link.key, link.token, cookie, _one(fields, "csrf"))
    ):
        return _refusal(
            "The form could not be checked",
            "It expired or was sent from another site: open the link again and decide there.",
            403,
        )
    page = _page_of(link, state, runtime)
    if (why := _why_not(link, state, active)) is not None:
        status, level, text = why
        page.notes.append((level, text))
        return _page_response(await _content(req, client, state.migration_id, page), status)
    who = signed_in(req, link.settings.easy_auth_enabled)
    if link.settings.require_sign_in and who is None:
        page.notes.append(("bad", _sign_in_text()))
        return _page_response(await _content(req, client, state.migration_id, page), 403)
    chosen = fields.get("image", []) if _one(fields, "scope") == "chosen" else None
    form = _form(link, cookie, who)
    form.name, form.reason = _one(fields, "by") or form.name, _one(fields, "reason")
    form.chosen = set(chosen or [])
    body = _validated(form, chosen)
    if isinstance(body, list):
        form.errors = body
        page.form = form
        return _page_response(await _content(req, client, state.migration_id, page), 400)
    decision = ApprovalDecision(
        approved=link.claims.approved,
        by=body.by,
        reason=body.reason or None,
        principal=who.record() if who else None,
        images=body.images,
        link=link.claims.round,
    )
    verdict = await decide(client, state.migration_id, decision)
    return await _answer(req, client, link, verdict, body.by)


def _validated(form: Form, chosen: list[str] | None) -> DecisionBody | list[str]:
    if chosen is not None and not chosen:
        return ["Choose at least one image, or decide on every undecided image."]
    try:
        return DecisionBody.model_validate(
            {"by": form.name, "reason": form.reason or None, "images": chosen}
        )
    except ValidationError as error:
        names = {"by": "Your name", "reason": "Reason", "images": "Images"}
        return [
            f"{names.get(str(e['loc'][0]) if e['loc'] else '', 'The form')}: {e['msg']}"
            for e in error.errors()
        ]


async def _answer(
    req: func.HttpRequest,
    client: df.DurableOrchestrationClient,
    link: Link,
    verdict: DecisionRecord | func.HttpResponse,
    by: str,
) -> func.HttpResponse:
    loaded = await _load(req, client)
    if isinstance(loaded, func.HttpResponse):
        return loaded
    _, state, _, runtime = loaded
    page = _page_of(link, state, runtime)
    if isinstance(verdict, func.HttpResponse):
        page.notes.append(("bad", f"Nothing was decided: {_detail(verdict)}"))
        status = verdict.status_code
    else:
        verb = "approved" if link.claims.approved else "rejected"
        then = "their sources are being deleted" if link.claims.approved else "their sources stay"
        page.notes.append(("ok", f"Recorded: {verdict.images} image(s) {verb} by {by}; {then}."))
        log.info("migration %s: %d image(s) %s by link", state.migration_id, verdict.images, verb)
        status = 200
    page.deciding = None
    page.lead = "The migration as it is now (this page does not refresh itself)."
    return _page_response(await _content(req, client, state.migration_id, page), status)


def _detail(answer: func.HttpResponse) -> str:
    try:
        body: Any = json.loads(answer.get_body() or b"{}")
    except ValueError:
        return "the migration refused it"
    return str(body.get("detail") or "the migration refused it")


def _form_fields(req: func.HttpRequest) -> dict[str, list[str]] | None:
    kind = (req.headers.get("content-type") or "").split(";")[0].strip().lower()
    body = req.get_body() or b""
    if kind != "application/x-www-form-urlencoded" or len(body) > MAX_FORM_BYTES:
        return None
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=2000)
    except (UnicodeDecodeError, ValueError):
        return None


def _one(fields: dict[str, list[str]], name: str) -> str:
    values = fields.get(name) or [""]
    return values[0].strip()
