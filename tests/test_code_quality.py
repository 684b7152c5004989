"""The code stays linted, formatted and (for the harness package) strictly typed."""

from __future__ import annotations

import subprocess
import sys

from tests.support.matrix_run import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_check_and_format() -> None:
    check = _run("ruff", "check", ".")
    assert check.returncode == 0, check.stdout[-3000:]
    fmt = _run("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_mypy_strict_on_the_harness() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout[-3000:]
