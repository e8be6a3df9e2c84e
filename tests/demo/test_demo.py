"""`python -m demo` is the command line's demo (`gallery-migrate local --demo`)."""

from __future__ import annotations

import subprocess
import sys

from devstack import APP_DIR


def test_python_m_demo_runs_the_command_lines_demo() -> None:
    # A process of its own, as `make demo` runs it; the demo's clock is virtual (no sleeping).
    done = subprocess.run(
        [sys.executable, "-m", "demo"],
        cwd=APP_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "3 of 3 source images deleted" in done.stdout
    assert "audit: every deleted image" in done.stdout
