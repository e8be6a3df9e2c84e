"""Shell completion, as click offers it: the script, and completing a verb."""

from __future__ import annotations

import pytest

from gallery_migrate_cli.app import COMPLETE_VAR, main
from gallery_migrate_cli.exits import Exit


def test_the_completion_script_for_bash(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == Exit.OK
    script = capsys.readouterr().out
    assert "complete -o nosort -F _gallery_migrate_completion gallery-migrate" in script
    assert f"{COMPLETE_VAR}=bash_complete" in script


def test_the_shell_asks_and_gets_the_verbs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(COMPLETE_VAR, "bash_complete")
    monkeypatch.setenv("COMP_WORDS", "gallery-migrate wa")
    monkeypatch.setenv("COMP_CWORD", "1")
    with pytest.raises(SystemExit):
        main([])
    assert capsys.readouterr().out.split() == ["plain,watch"]
    monkeypatch.setenv("COMP_WORDS", "gallery-migrate list --status c")
    monkeypatch.setenv("COMP_CWORD", "3")
    with pytest.raises(SystemExit):
        main([])
    assert capsys.readouterr().out.split() == ["plain,completed"]
