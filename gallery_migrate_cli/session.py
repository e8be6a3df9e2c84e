"""What each verb does, against one API target: call it, show the answer, pick the exit code.

The command definitions (``app``) only parse arguments; the local demo runs the same verbs.
Output goes through two rich consoles (``out`` for results, ``err`` for errors and hints), which
drop colour by themselves when they do not write to a terminal; ``--json`` prints the API's
answers as they are, one JSON document per command.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import requests
from rich.console import Console
from rich.live import Live

from gallery_migrate_cli import render
from gallery_migrate_cli.api import Api, ApiError
from gallery_migrate_cli.bodies import BodyError
from gallery_migrate_cli.config import Target
from gallery_migrate_cli.exits import Exit, ended, for_status

# Words of a suggested command that a person fills in, shown as written (not shell-quoted).
PLACEHOLDERS = frozenset({'"$USER"', '"why"'})

# Seconds asked for -> seconds that passed (a virtual clock passes what its next timer says).
Pause = Callable[[float], float]


def wall_pause(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@dataclass
class Env:
    """What the command runs with; tests and the local demo hand in their own."""

    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))
    environ: Mapping[str, str] = field(default_factory=dict)
    pause: Pause = wall_pause
    # Whether a person can be asked (cancel asks for a yes when so), and how.
    interactive: bool = False
    confirm: Callable[[str], bool] = lambda question: bool(click.confirm(question))
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    session: requests.Session | None = None
    as_json: bool = False


class Interrupted(Exception):
    """Ctrl-C stopped the command (``str``: one line saying what goes on without it)."""


@dataclass
class Session:
    env: Env
    target: Target
    api: Api = field(init=False)
    # The status a watch ended on.
    last_status: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.api = Api(self.target, self.env.session)

    @property
    def out(self) -> Console:
        return self.env.out

    def emit(self, answer: Any) -> None:
        """One JSON document on standard output, never wrapped or coloured."""
        text = json.dumps(answer, indent=2)
        self.out.print(text, markup=False, highlight=False, soft_wrap=True)

    def hint(self, text: str) -> None:
        if not self.env.as_json:
            self.out.print(text, markup=False, highlight=False, soft_wrap=True)

    def command(self, verb: str, *args: str) -> str:
        """A command that repeats this one's target (never its key)."""
        words = ["gallery-migrate", verb, *args]
        if self.target.profile:
            words += ["--profile", self.target.profile]
        if self.target.endpoint_flag:
            words += ["--endpoint", self.target.endpoint_flag]
        return " ".join(w if w in PLACEHOLDERS else shlex.quote(w) for w in words)

    def decision_commands(self, migration_id: str) -> list[str]:
        return [
            "approve: " + self.command("approve", migration_id, "--by", '"$USER"'),
            "reject:  "
            + self.command("reject", migration_id, "--by", '"$USER"', "--reason", '"why"'),
        ]

    # -- the verbs -------------------------------------------------------------------------------

    def plan(self, body: dict[str, Any]) -> Exit:
        answer = self.api.plan(body)
        if self.env.as_json:
            self.emit(answer)
        else:
            self.out.print(render.plan(answer))
        images = answer.get("images") or []
        blocked = [i for i in images if i.get("problems")]
        if answer.get("problems") or (images and len(blocked) == len(images)):
            return Exit.FAILED
        return Exit.PARTLY if blocked else Exit.OK

    def start(self, body: dict[str, Any]) -> tuple[Exit, str]:
        answer = self.api.start(body)
        migration_id = str(answer.get("migrationId") or answer.get("id"))
        if self.env.as_json:
            self.emit(answer)
        else:
            self.out.print(f"started {migration_id}", markup=False, highlight=False)
            self.hint(f"  watch it:  {self.command('watch', migration_id)}")
            self.hint(f"  cancel it: {self.command('cancel', migration_id)}")
        return Exit.OK, migration_id

    def status(self, migration_id: str, images: int) -> Exit:
        status = self.api.status(migration_id)
        if self.env.as_json:
            self.emit(status)
        else:
            commands = self.decision_commands(migration_id)
            self.out.print(render.migration(status, images=images, commands=commands))
        return for_status(status)

    def watch(
        self,
        migration_id: str,
        *,
        interval: float,
        timeout: float | None = None,
        approve_as: str | None = None,
        images: int = 20,
        until_done: bool = False,
    ) -> Exit:
        """Follow a migration until it ends, or waits for a decision nobody here takes
        (``until_done``: go on watching while someone else decides, or the wait times out)."""
        live = self.out.is_terminal and not self.env.as_json
        approved = False
        waited = 0.0
        last = ""
        commands = self.decision_commands(migration_id)
        display = Live(console=self.out, auto_refresh=False) if live else nullcontext()
        try:
            with display as shown:
                while True:
                    status = self.api.status(migration_id)
                    if isinstance(shown, Live):
                        view = render.migration(status, images=images, commands=commands)
                        shown.update(view, refresh=True)
                    elif not self.env.as_json and (line := render.progress_line(status)) != last:
                        self.out.print(line, markup=False, highlight=False, soft_wrap=True)
                        last = line
                    if ended(status):
                        break
                    if status.get("awaitingApproval") and not approved and not until_done:
                        if approve_as is None:
                            break
                        reason = "approved by gallery-migrate --approve-as"
                        try:
                            self.api.decide(
                                migration_id, "approve", {"by": approve_as, "reason": reason}
                            )
                        except ApiError as error:
                            # Someone else decided first: theirs stands, and the watch goes on.
                            if error.code != Exit.CONFLICT:
                                raise
                        approved = True
                        continue
                    if timeout is not None and waited >= timeout:
                        break
                    waited += self.env.pause(interval)
        except KeyboardInterrupt:
            # Ctrl-C stops the watching, not the migration: say so, and how to go on.
            again = self.command("watch", migration_id)
            raise Interrupted(
                f"interrupted: stopped watching {migration_id}, which goes on; watch it again: "
                f"{again}"
            ) from None
        self.last_status = status
        return self.finish(status, shown_live=live, commands=commands)

    def finish(self, status: dict[str, Any], *, shown_live: bool, commands: list[str]) -> Exit:
        if self.env.as_json:
            self.emit(status)
        elif ended(status):
            self.out.print(render.result(status))
            if not shown_live:
                self.out.print(render.headline(status))
        elif not shown_live and (prompt := render.approval(status, commands)) is not None:
            self.out.print(prompt)
        return for_status(status)

    def decide(
        self, migration_id: str, verb: str, by: str, reason: str | None, images: Iterable[str]
    ) -> Exit:
        body: dict[str, Any] = {"by": by}
        if reason:
            body["reason"] = reason
        if chosen := self.resolve_images(migration_id, images):
            body["images"] = chosen
        answer = self.api.decide(migration_id, verb, body)
        if self.env.as_json:
            self.emit(answer)
        else:
            self.out.print(
                f"{answer.get('decision', verb)}: {answer.get('images', '?')} image(s) of "
                f"{migration_id}, by {by}",
                markup=False,
                highlight=False,
            )
            self.hint(f"  follow it: {self.command('watch', migration_id)}")
        return Exit.OK

    def resolve_images(self, migration_id: str, given: Iterable[str]) -> list[str]:
        """Image ids as given, and names (``web-ubuntu-2404``) looked up in the migration."""
        given = list(given)
        if all("/" in g for g in given):
            return given
        known = [str(i.get("source")) for i in self.api.images(migration_id)]
        chosen = []
        for name in given:
            if "/" in name:
                chosen.append(name)
                continue
            found = [s for s in known if render.short(s).lower() == name.lower()]
            if len(found) != 1:
                how = "no image" if not found else f"{len(found)} images"
                raise BodyError(f"--image {name}: {how} of {migration_id} has that name")
            chosen.extend(found)
        return chosen

    def listing(self, params: dict[str, str]) -> Exit:
        answer = self.api.list(params)
        if self.env.as_json:
            self.emit(answer)
        else:
            self.out.print(render.migrations(answer.get("migrations") or []))
        return Exit.OK

    def cancel(self, migration_id: str, by: str | None, reason: str | None) -> Exit:
        body = {k: v for k, v in (("by", by), ("reason", reason)) if v}
        answer = self.api.cancel(migration_id, body)
        if self.env.as_json:
            self.emit(answer)
            return Exit.OK
        self.out.print(
            f"cancelled {migration_id}: ended {answer.get('batchesEnded', '?')} batch(es) and "
            f"{answer.get('watchersEnded', '?')} watcher(s), released "
            f"{answer.get('claimsReleased', '?')} claim(s); no source was deleted",
            markup=False,
            highlight=False,
        )
        if lingering := answer.get("notYetEnded"):
            self.hint(f"  still ending: {', '.join(lingering)}")
        self.hint(f"  see it: {self.command('status', migration_id)}")
        return Exit.OK


def since(value: str, now: datetime) -> str:
    """``2026-11-01``, an ISO date and time, or ``30m``/``12h``/``7d``/``2w`` ago, as ISO."""
    value = value.strip()
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    if value[:-1].isdigit() and value[-1:].lower() in units:
        delta = timedelta(**{units[value[-1].lower()]: int(value[:-1])})
        return (now - delta).isoformat(timespec="seconds")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BodyError(
            f"--since '{value}': a date, a date and time, or 30m, 12h, 7d, 2w"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


def report(
    env: Env, error: ApiError | BodyError | ValueError | click.ClickException | Interrupted
) -> None:
    """The one line (and, for an invalid request, one per field) that says what went wrong;
    with ``--json``, also ``{"error": {"kind", "message", ...}}`` on standard output (kind
    ``usage`` unless the API's answer or an interruption says otherwise)."""
    message = error.format_message() if isinstance(error, click.ClickException) else str(error)
    line = message if isinstance(error, Interrupted) else f"error: {message}"
    env.err.print(line, markup=False, highlight=False, soft_wrap=True)
    fields = error.field_errors() if isinstance(error, ApiError) else []
    for name, text in fields:
        env.err.print(f"  {name}: {text}", markup=False, highlight=False, soft_wrap=True)
    if env.as_json:
        kind = "interrupted" if isinstance(error, Interrupted) else "usage"
        body: dict[str, Any] = {"error": {"kind": kind, "message": message}}
        if isinstance(error, ApiError):
            body = error.to_json()
        if fields:
            body["error"]["fields"] = [{"field": f, "message": m} for f, m in fields]
        env.out.print(json.dumps(body, indent=2), markup=False, highlight=False, soft_wrap=True)
