"""``python -m devhost`` and ``python -m emulator`` as child processes, read line by line."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

READY = re.compile(r"devhost listening on (http://[0-9.]+:[0-9]+)")


class HostProcess:
    """A ``python -m ...`` child process, its output read line by line as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._new_line = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, app_dir: Path, state: Path, *args: str) -> HostProcess:
        """``python -m devhost --app-dir APP_DIR --port 0 --state STATE ARGS``."""
        return await cls.spawn(
            "devhost", "--app-dir", str(app_dir), "--port", "0", "--state", str(state), *args
        )

    @classmethod
    async def spawn(cls, module: str, *args: str) -> HostProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.lines.append(line.decode(errors="replace").rstrip())
            self._new_line.set()

    async def wait_for(self, pattern: str, limit: float = 60) -> re.Match[str]:
        async def scan() -> re.Match[str]:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    found = re.search(pattern, line)
                    if found:
                        return found
                seen = len(self.lines)
                if self.process.returncode is not None and self._reader.done():
                    raise AssertionError(
                        f"host exited before {pattern!r}:\n" + "\n".join(self.lines)
                    )
                self._new_line.clear()
                await self._new_line.wait()

        return await asyncio.wait_for(scan(), limit)

    async def ready(self) -> str:
        return (await self.wait_for(READY.pattern)).group(1)

    async def exited(self, limit: float = 60) -> int:
        """Wait for the process to end by itself; its exit code."""
        code = await asyncio.wait_for(self.process.wait(), limit)
        await asyncio.wait_for(self._reader, limit)
        return code

    async def stop(self, *, kill: bool = False) -> None:
        if self.process.returncode is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
        await asyncio.wait_for(self.process.wait(), 30)
        await asyncio.wait_for(self._reader, 30)
