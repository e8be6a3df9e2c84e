"""Running ``gallery-migrate`` against the local stack, in the test's process.

The stack serves on the test's event loop (``tests.stack``, a virtual clock); the command runs in
a worker thread, as it would in a process of its own, and each pause of its watch fires the
host's next durable timer (``gallery_migrate_cli.local.virtual_pause``): no sleeping.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from emulator import EmulatorConfig
from gallery_migrate_cli.app import main
from gallery_migrate_cli.config import CONFIG_VAR, ENDPOINT_VAR
from gallery_migrate_cli.local import virtual_pause
from gallery_migrate_cli.session import Env, Pause
from tests.stack import Stack, open_stack


@dataclass
class Ran:
    code: int
    out: str
    err: str
    console: Console

    def json(self) -> Any:
        import json

        return json.loads(self.out)


Run = Callable[..., Awaitable[Ran]]


def consoles(terminal: bool, width: int = 120) -> tuple[Console, Console]:
    out = Console(file=io.StringIO(), record=True, width=width, force_terminal=terminal)
    err = Console(file=io.StringIO(), width=200)
    return out, err


async def run_cli(
    stack: Stack | None,
    args: tuple[str, ...],
    *,
    environ: Mapping[str, str],
    terminal: bool = False,
    interactive: bool = False,
    answer: bool = False,
    pause: Pause | None = None,
) -> Ran:
    out, err = consoles(terminal)
    env = Env(out=out, err=err, environ=dict(environ), interactive=interactive)
    env.confirm = lambda question: answer
    if stack is not None:
        env.pause = virtual_pause(asyncio.get_running_loop(), stack.host)
        env.now = stack.clock.now
    if pause is not None:
        env.pause = pause
    code = await asyncio.to_thread(main, list(args), env)
    assert isinstance(out.file, io.StringIO)
    assert isinstance(err.file, io.StringIO)
    return Ran(code, out.file.getvalue(), err.file.getvalue(), out)


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    # No config file of the person running the tests is read.
    return {CONFIG_VAR: str(tmp_path / "no-config.toml")}


@pytest.fixture
async def stack(environ: dict[str, str]) -> AsyncIterator[Stack]:
    async with open_stack({}, EmulatorConfig()) as opened:
        environ[ENDPOINT_VAR] = opened.base_url
        yield opened


@pytest.fixture
def cli(stack: Stack, environ: dict[str, str]) -> Run:
    async def run(
        *args: str, terminal: bool = False, interactive: bool = False, answer: bool = False
    ) -> Ran:
        return await run_cli(
            stack, args, environ=environ, terminal=terminal, interactive=interactive, answer=answer
        )

    return run
