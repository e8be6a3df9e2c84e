"""The README's first command runs a whole migration and passes its own audit."""

from __future__ import annotations

import io

from rich.console import Console

from demo.__main__ import run


async def test_the_demo_migrates_every_image_and_audits_clean() -> None:
    output = io.StringIO()
    console = Console(file=output, width=120)
    # Scaled time is the demo's nature; this scale makes it take a second or two of wall time.
    code = await run(scale=20000, approve=True, console=console)
    text = output.getvalue()
    assert code == 0, text
    assert "3 of 3 source images deleted" in text
    assert "audit: every deleted image" in text


async def test_without_approval_the_demo_keeps_every_image() -> None:
    output = io.StringIO()
    code = await run(scale=200000, approve=False, console=Console(file=output, width=120))
    text = output.getvalue()
    assert code == 0, text
    assert "0 of 3 source images deleted" in text
    assert "no approval before the approval timeout" in text
