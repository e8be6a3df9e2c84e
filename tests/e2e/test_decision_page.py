"""The decision page over HTTP, as a browser and a link previewer would use it: only a POST of
the page's own form decides, once per round of links, before the deadline; nothing else does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from devhost.easy_auth import ClientPrincipal, EasyAuth
from devhost.keys import HostKeys
from migration.notify import tokens
from tests.e2e.notifying import LINK_KEY, Told, notifying_stack
from tests.e2e.test_migration import APP, WEB, request

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    """A browser's part: its cookie jar, GETs, and POSTs of the page's form."""

    def __init__(self) -> None:
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def get(self, url: str) -> tuple[int, str]:
        async with self.http.get(url) as answer:
            return answer.status, await answer.text()

    async def post(
        self, url: str, fields: list[tuple[str, str]], headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        async with self.http.post(url, data=fields, headers=headers) as answer:
            return answer.status, await answer.text()

    async def decide(self, url: str, *fields: tuple[str, str]) -> tuple[int, str]:
        status, page = await self.get(url)
        assert status == 200, page
        found = CSRF.search(page)
        assert found, "the page shows no form"
        return await self.post(url, [*fields, ("csrf", found.group(1))])


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    opened = Browser()
    yield opened
    await opened.http.close()


@pytest.fixture
async def told() -> AsyncIterator[Told]:
    async with notifying_stack(APPROVAL_REMINDER_INTERVAL="PT6H") as opened:
        yield opened


async def waiting(told: Told, *sources: str, **fields: Any) -> str:
    migration_id = await told.stack.start(request(*(sources or (WEB, APP)), **fields))
    await told.stack.awaiting_approval(migration_id)
    await told.stack.host.run_until_idle()
    return migration_id


async def test_a_link_decides_by_its_form_once(told: Told, browser: Browser) -> None:
    stack = told.stack
    migration_id = await waiting(told)
    approve = told.link("Approve…")
    # A link previewer: a bare GET with no cookies shows the page and decides nothing.
    async with aiohttp.ClientSession() as previewer, previewer.get(approve) as answer:
        page = await answer.text()
        assert answer.status == 200
        assert answer.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert "images-rg/providers/Microsoft.Compute/images/web" in page
    assert "eastus: Completed" in page
    assert "westus2: Completed" in page
    assert "source deleted if approved" in page
    status = await stack.status(migration_id)
    assert status["approval"]["undecided"] == 2

    # A POST without the form's value, with another browser's, or from another site: refused.
    assert (await browser.post(approve, [("by", "eve")]))[0] == 403
    _, other = await browser.get(approve)
    stolen = CSRF.search(other)
    assert stolen
    async with aiohttp.ClientSession() as elsewhere:
        data = [("by", "eve"), ("csrf", stolen.group(1))]
        async with elsewhere.post(approve, data=data) as answer:
            assert answer.status == 403  # no cookie to match it
    cross = {"Sec-Fetch-Site": "cross-site"}
    posted = await browser.post(approve, [("by", "eve"), ("csrf", stolen.group(1))], cross)
    assert posted[0] == 403
    assert (await stack.status(migration_id))["approval"]["undecided"] == 2

    # The person: open, fill in, approve.
    code, done = await browser.decide(approve, ("by", "ana"), ("reason", "smoke-tested"))
    assert code == 200, done
    assert "Recorded: 2 image(s) approved by ana" in done
    final = await stack.finish(migration_id)
    assert [i["phase"] for i in final["images"]] == ["deleted", "deleted"]
    assert final["images"][0]["decision"]["by"] == "ana"
    assert not stack.image_exists(WEB)
    assert not stack.image_exists(APP)

    # Used: the page shows no form, and a replayed POST decides nothing.
    code, again = await browser.get(approve)
    assert code == 410
    assert CSRF.search(again) is None
    replay = await browser.post(approve, [("by", "ana"), ("csrf", stolen.group(1))])
    assert replay[0] in (409, 410)


async def test_forged_altered_and_foreign_tokens_decide_nothing(
    told: Told, browser: Browser
) -> None:
    stack = told.stack
    migration_id = await waiting(told)
    approve = told.link("Approve…")
    token = approve.rsplit("/", 1)[1]
    version, body, signature = token.split(".")
    altered = f"{version}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{signature}"
    claims = tokens.verify(LINK_KEY.encode(), token)
    other_key = tokens.sign(b"another key, just as long as the real one!", claims)
    # Signed with the right key, but for another deadline (or a rejection of its own making).
    extended = tokens.sign(
        LINK_KEY.encode(),
        tokens.LinkClaims(
            claims.migration_id, claims.decision, claims.round, claims.deadline + timedelta(1)
        ),
    )
    base = approve.rsplit("/", 1)[0]
    for forged, expected in ((altered, 403), (other_key, 403), ("v1.e30.e30", 403)):
        code, page = await browser.get(f"{base}/{quote(forged)}")
        assert code == expected, forged
        assert "This link is not valid" in page
        assert migration_id not in page, "a forged link learns nothing"
        assert (await browser.post(f"{base}/{forged}", [("by", "eve")]))[0] == expected
    code, page = await browser.get(f"{base}/{extended}")
    assert code == 410
    assert CSRF.search(page) is None
    assert (await stack.status(migration_id))["approval"]["undecided"] == 2


async def test_per_image_decisions_spend_their_round(told: Told, browser: Browser) -> None:
    stack, inbox = told.stack, told.inbox
    migration_id = await waiting(told)
    approve, reject = told.link("Approve…"), told.link("Reject…")
    code, page = await browser.decide(approve, ("by", "ana"), ("scope", "chosen"), ("image", WEB))
    assert code == 200, page
    assert "Recorded: 1 image(s) approved" in page
    # Round 0 is spent, its reject link too.
    code, page = await browser.get(reject)
    assert code == 410
    assert "was used" in page
    # The next reminder carries new links for what is left.
    await stack.host.run_until(
        lambda: len(inbox.to("/teams/workflow", "approvalReminder")) >= 1, max_timers=100
    )
    reminder = told.cards("approvalReminder")[-1]
    assert "images-rg/app" in str(reminder)
    assert "images-rg/web" not in str(reminder)  # decided already: not listed
    fresh = told.link("Reject…", "approvalReminder")
    code, page = await browser.decide(fresh, ("by", "bo"), ("reason", "not yet"))
    assert code == 200, page
    final = await stack.finish(migration_id)
    assert {i["source"]: i["phase"] for i in final["images"]} == {WEB: "deleted", APP: "kept"}
    assert final["images"][1]["keptReason"] == "rejected by bo: not yet"


async def opened_in_time(told: Told, browser: Browser) -> tuple[str, str, str]:
    """A migration of WEB awaiting approval (two hours), its approve link opened in time: the
    migration, the link and the form's anti-forgery value."""
    migration_id = await waiting(told, WEB, approvalTimeout="PT2H")
    approve = told.link("Approve…")
    _, page = await browser.get(approve)
    form = CSRF.search(page)
    assert form
    return migration_id, approve, form.group(1)


async def test_an_expired_link_decides_nothing(browser: Browser) -> None:
    async with notifying_stack(APPROVAL_REMINDER_INTERVAL="none") as told:
        migration_id, approve, csrf = await opened_in_time(told, browser)
        final = await told.stack.finish(migration_id)  # the deadline passes
        assert final["approval"]["timedOut"] == 1
        code, page = await browser.get(approve)
        assert code == 410
        assert "expired" in page
        posted = await browser.post(approve, [("by", "ana"), ("csrf", csrf)])
        assert posted[0] == 410
        assert told.stack.image_exists(WEB)


async def test_a_decision_sent_as_the_deadline_comes_is_refused_as_expired(
    browser: Browser,
) -> None:
    """The page was opened in time; the form is sent once the deadline has come (whether or not
    the migration has woken to it yet): nothing is decided, and the page says it expired."""
    async with notifying_stack(APPROVAL_REMINDER_INTERVAL="none") as told:
        migration_id, approve, csrf = await opened_in_time(told, browser)
        status = await told.stack.status(migration_id)
        told.stack.clock.advance_to(datetime.fromisoformat(status["approval"]["deadline"]))
        code, page = await browser.post(approve, [("by", "ana"), ("csrf", csrf)])
        assert code == 410, page
        # Refused by the page (it saw the approval time out) or by the migration (it read the
        # decision first, at its deadline): both say the link expired.
        assert "expired" in page
        final = await told.stack.finish(migration_id)
        assert final["approval"]["approved"] == 0
        assert final["images"][0]["phase"] == "kept"
        assert told.stack.image_exists(WEB)


async def test_pages_need_a_key_or_a_token(tmp_path: Path, browser: Browser) -> None:
    keys = HostKeys.generate(tmp_path / "secrets")
    async with notifying_stack(keys=keys) as told:
        migration_id = await waiting(told, WEB)
        page_url = told.link("Open the migration")
        assert "code=" not in page_url
        assert (await browser.get(page_url))[0] == 401
        assert (await browser.get(f"{page_url}?code=not-a-key"))[0] == 401
        key = next(iter(keys.function_keys.values()))
        code, page = await browser.get(f"{page_url}?code={key}")
        assert code == 200
        assert '<meta http-equiv="refresh"' in page
        assert "eastus: Completed" in page
        assert CSRF.search(page) is None, "the status page has no form"
        # The API still wants its key; the link page wants only its token.
        api = f"{told.stack.api}/migrations/{migration_id}/approve"
        async with browser.http.post(api, json={"by": "eve"}) as answer:
            assert answer.status == 401
        base = told.link("Approve…").rsplit("/", 1)[0]
        assert (await browser.get(f"{base}/v1.x.y"))[0] == 403
        code, _ = await browser.decide(told.link("Approve…"), ("by", "ana"))
        assert code == 200
        await told.stack.finish(migration_id)


async def test_sign_in_can_be_required_and_is_recorded(browser: Browser) -> None:
    auth = EasyAuth()
    async with notifying_stack(easy_auth=auth, APPROVAL_REQUIRE_SIGN_IN="true") as told:
        migration_id = await waiting(told, WEB)
        approve = told.link("Approve…")
        # Nobody signed in: no form, even with identity headers of the caller's own making.
        forged = {"X-MS-CLIENT-PRINCIPAL-NAME": "ceo@contoso.com", "X-MS-CLIENT-PRINCIPAL-ID": "1"}
        async with browser.http.get(approve, headers=forged) as answer:
            page = await answer.text()
        assert CSRF.search(page) is None
        assert "signed-in account" in page
        auth.principal = ClientPrincipal("4f1c-77", "ana@contoso.com")
        code, done = await browser.decide(approve, ("by", "someone else"))
        assert code == 200, done
        final = await told.stack.finish(migration_id)
        decision = final["images"][0]["decision"]
        assert decision["by"] == "someone else"
        assert decision["principal"] == "ana@contoso.com (aad:4f1c-77)"
