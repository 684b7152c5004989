"""The Node tools of the version check: where they are installed, whether they can run here, and
the one call into them (``node lint.mjs`` with a JSON job on stdin, JSON out)."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).parent / "node"
RUNNER = NODE_DIR / "lint.mjs"
# eslint 10 needs this Node (its package's engines field).
MIN_NODE = (20, 19)
INSTALL = (
    f"bash scripts/setup.sh (it runs: npm ci --prefix {NODE_DIR.relative_to(NODE_DIR.parents[2])})"
)
_REQUIRED = ("browserslist", "caniuse-lite", "@mdn/browser-compat-data", "eslint", "doiuse")


class ToolsUnavailable(RuntimeError):
    """The check cannot run here; the message says why and what to install."""


@dataclass(frozen=True)
class Tools:
    node: str
    node_version: str


def _node_version(node: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(r"v(\d+)\.(\d+)", out.strip())
    return (int(match[1]), int(match[2])) if match else None


@functools.cache
def find_tools() -> Tools:
    """Node and the installed packages, or ToolsUnavailable naming the fix."""
    node = shutil.which("node")
    if node is None:
        raise ToolsUnavailable(
            "Node.js is not installed (the version check needs Node >= "
            f"{'.'.join(map(str, MIN_NODE))} and npm); install it (Debian: apt-get install "
            f"nodejs npm), then run {INSTALL}"
        )
    version = _node_version(node)
    if version is None or version < MIN_NODE:
        shown = ".".join(map(str, version)) if version else "unknown"
        raise ToolsUnavailable(
            f"Node.js {shown} is too old for the version check (needs >= "
            f"{'.'.join(map(str, MIN_NODE))}); upgrade it, then run {INSTALL}"
        )
    missing = [
        p for p in _REQUIRED if not (NODE_DIR / "node_modules" / p / "package.json").exists()
    ]
    if missing:
        raise ToolsUnavailable(
            f"the version check's npm packages are not installed ({', '.join(missing)} missing); "
            f"run {INSTALL}"
        )
    return Tools(node, ".".join(map(str, version)))


def run_job(job: dict[str, Any], *, timeout: float = 120) -> dict[str, Any]:
    """One run of the Node runner; a crash or unreadable output is ToolsUnavailable."""
    tools = find_tools()
    try:
        done = subprocess.run(
            [tools.node, str(RUNNER)],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            # The data is pinned by the lock file on purpose: no "caniuse-lite is outdated" nag.
            env={**os.environ, "BROWSERSLIST_IGNORE_OLD_DATA": "1"},
        )
    except subprocess.TimeoutExpired:
        raise ToolsUnavailable(f"the version check did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise ToolsUnavailable(
            f"the version check's runner failed (exit {done.returncode}): "
            f"{done.stderr.strip()[-1500:]}"
        )
    try:
        out: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise ToolsUnavailable(
            f"the version check's runner printed no JSON: {done.stdout[-500:]!r}"
        ) from None
    out.setdefault("tools", {})["node"] = tools.node_version
    return out


@functools.cache
def _resolved(queries: tuple[tuple[str, str], ...]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = run_job({"mode": "validate", "queries": dict(queries)})[
        "queries"
    ]
    return out


def resolve_queries(queries: dict[str, str]) -> dict[str, dict[str, Any]]:
    """browserslist's answer for each query: ``{"browsers": [...]}`` or ``{"error": ...}``
    (cached per process: a matrix is read more than once)."""
    if not queries:
        return {}
    return _resolved(tuple(sorted(queries.items())))
