"""Run the `compat` command as support would: a child process with a clean environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.matrix_run import ROOT


def repro(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`compat repro ARGS`, with short timeouts: failing journeys wait them out, and the reference
    app answers in milliseconds."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COMPAT_", "PYTEST_"))}
    fast = {"COMPAT_EXPECT_TIMEOUT": "3", "COMPAT_ACTION_TIMEOUT": "5"}
    return subprocess.run(
        [sys.executable, "-m", "compat_harness", "repro", *args],
        cwd=cwd,
        env={**base, **fast, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
