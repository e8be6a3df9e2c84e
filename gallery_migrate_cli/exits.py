"""Exit codes: what a script can tell from ``$?`` alone (the README lists them)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class Exit(IntEnum):
    OK = 0  # done: every image migrated, or the command did what it was asked
    ERROR = 1  # the API failed (5xx) or answered something that is not the API
    USAGE = 2  # bad flags, a bad request file or config, or a request the API calls invalid
    PARTLY = 3  # some images migrated, others not
    FAILED = 4  # no image migrated, or the orchestration failed
    AWAITING_APPROVAL = 5  # the migration waits for a decision
    CANCELLED = 6  # the migration was cancelled (terminated)
    RUNNING = 7  # still going (status, or watch --timeout ran out)
    NOT_FOUND = 8  # no such migration
    CONFLICT = 9  # the migration cannot do that now (409)
    UNREACHABLE = 10  # the endpoint did not answer
    UNAUTHORIZED = 11  # the endpoint refused the key (401, 403)
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report a command SIGINT ended


def for_outcome(outcome: Any) -> Exit:
    """All, some or none of the images migrated (``outcome`` of a status, or of a plan)."""
    return {"partlyMigrated": Exit.PARTLY, "noneMigrated": Exit.FAILED}.get(str(outcome), Exit.OK)


def for_status(status: dict[str, Any]) -> Exit:
    """The code for a migration's status, as ``status`` and ``watch`` end with it."""
    runtime = status.get("runtimeStatus")
    if runtime == "Terminated":
        return Exit.CANCELLED
    if runtime == "Failed":
        return Exit.FAILED
    if runtime == "Completed":
        return for_outcome(status.get("outcome"))
    if status.get("awaitingApproval"):
        return Exit.AWAITING_APPROVAL
    return Exit.RUNNING


TERMINAL = frozenset({"Completed", "Failed", "Terminated"})


def ended(status: dict[str, Any]) -> bool:
    return status.get("runtimeStatus") in TERMINAL
