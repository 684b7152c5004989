"""The code stays linted, formatted and strictly typed (all of it but the self-tests)."""

from __future__ import annotations

import subprocess
import sys
import tomllib

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


def test_mypy_strict_on_the_whole_tree() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout[-3000:]


def test_mypy_covers_every_python_file_but_the_self_tests() -> None:
    # A new top-level folder (or script) of Python is type-checked from its first commit.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    checked = set(config["files"])
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    tops = {path.split("/", 1)[0] for path in tracked}
    assert tops - {"tests"} <= checked, sorted(tops - {"tests"} - checked)
