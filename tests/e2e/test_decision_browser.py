"""The decision page in a real browser (headless Chromium), driven as a person would: the link
from a captured Teams card, the images and their regions, approving, the sources going; then
every misuse of a link, none of which decides anything."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from devhost.keys import HostKeys
from tests.e2e.browser import chromium
from tests.e2e.notifying import notifying_stack
from tests.e2e.test_migration import APP, WEB, request
from tests.stack import image_id

DATA = image_id("data")


async def test_approve_in_chromium_then_every_misuse_decides_nothing(tmp_path: Path) -> None:
    keys = HostKeys.generate(tmp_path / "secrets")
    async with notifying_stack(keys=keys) as told, chromium(tmp_path) as browser:
        stack = told.stack
        stack.emulator.seed_image(DATA, location="eastus", os_type="Linux", data_disks_gb=(64,))
        stack.emulator.seed_image(image_id("web2"), location="eastus")
        fleet = await stack.start(request(WEB, APP, DATA))
        short = await stack.start(request(image_id("web2"), approvalTimeout="PT2H"))
        await stack.awaiting_approval(fleet)
        await stack.awaiting_approval(short)
        await stack.host.run_until_idle()
        cards = {c["body"][2]["facts"][0]["value"]: c for c in told.cards("approvalAwaited")}
        approve = next(a["url"] for a in cards[fleet]["actions"] if a["title"] == "Approve…")
        expiring = next(a["url"] for a in cards[short]["actions"] if a["title"] == "Approve…")

        # A link previewer fetches the link first: nothing is decided.
        async with aiohttp.ClientSession() as previewer, previewer.get(approve) as answer:
            assert answer.status == 200
        assert (await stack.status(fleet))["approval"]["undecided"] == 3

        await browser.open(approve)
        rows = await browser.text("tr.image")
        assert len(rows) == 3
        assert all("eastus: Completed" in r and "westus2: Completed" in r for r in rows)
        assert all("source deleted if approved" in r for r in rows)
        await browser.type_into("#by", "Ana Ops")
        await browser.type_into("#reason", "Smoke-tested the 1.0.0 versions in both regions.")
        await browser.screenshot("decision-page")
        await browser.click("button[type=submit]")
        notes = await browser.text(".note")
        assert any("Recorded: 3 image(s) approved by Ana Ops" in n for n in notes), notes
        await browser.screenshot("decision-recorded")
        final = await stack.finish(fleet)
        assert [i["phase"] for i in final["images"]] == ["deleted"] * 3
        for source in (WEB, APP, DATA):
            assert not stack.image_exists(source)

        # The same link again: used, no form.
        page = await browser.open(approve)
        assert "was used" in page
        assert await browser.text("form") == []
        # Altered: one character of the signature changed.
        head, _, signature = approve.rpartition(".")
        flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
        page = await browser.open(f"{head}.{flipped}")
        assert "This link is not valid" in page
        assert fleet not in page
        # Expired: the short migration's deadline passes.
        done = await stack.finish(short)
        assert done["approval"]["timedOut"] == 1
        page = await browser.open(expiring)
        assert "expired" in page
        assert await browser.text("form") == []
        assert stack.image_exists(image_id("web2"))

        # The status page: a function key, and it shows the migration without a form.
        page_url = next(
            a["url"] for a in cards[fleet]["actions"] if a["title"] == "Open the migration"
        )
        async with aiohttp.ClientSession() as anonymous, anonymous.get(page_url) as answer:
            assert answer.status == 401
        key = next(iter(keys.function_keys.values()))
        await browser.open(f"{page_url}?code={key}")
        assert len(await browser.text("tr.image")) == 3
        assert await browser.text("form") == []
        await browser.screenshot("status-page")
