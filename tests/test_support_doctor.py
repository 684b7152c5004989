"""`compat doctor` as support reads it: on a machine without WebKit it says so and gives the
command that installs it; it tells a target that is down from a network that is down."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from compat_harness.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parents[1]
DEAD = "http://127.0.0.1:9"


def _doctor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("COMPAT_")}
    return subprocess.run(
        [sys.executable, "-m", "compat_harness", "doctor", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_webkit_doctor_says_so_and_how_to_fix_it() -> None:
    # MiniBrowser "installed" at a path that does not exist: WebKit is missing on this machine.
    no_webkit = {"COMPAT_MINIBROWSER": "/nonexistent/MiniBrowser"}
    text = _doctor(env=no_webkit)
    out = text.stdout
    assert text.returncode == ExitCode.OK, out + text.stderr
    assert "✗ WebKitGTK" in out and "WebKit cells cannot run here" in out
    assert "fix: sudo apt-get install webkit2gtk-driver xvfb" in out
    for cell in ("ios-webkit", "ipad-webkit", "desktop-webkit"):
        assert f"✗ {cell}" in out
    assert "✓ chrome-desktop" in out
    assert "✗ iPhone / iPad / Mac Safari" in out and "falls back to Chromium" in out
    assert "✓ embedded reference app" in out
    assert "COMPAT_CLIENT_PASSWORD    not set" in out
    markdown = _doctor("--markdown", env=no_webkit).stdout
    assert markdown.startswith("### compat doctor")
    assert "| ✗ | ios-webkit |" in markdown
    assert "```sh" in markdown and "sudo apt-get install webkit2gtk-driver xvfb" in markdown


def test_with_webkit_every_default_cell_runs_here() -> None:
    out = _doctor().stdout
    for cell in ("chrome-desktop", "ios-webkit", "android-chrome"):
        assert f"✓ {cell}" in out, out


def test_target_down_and_network_down_are_told_apart() -> None:
    down = _doctor("--client-url", DEAD, "--provider-url", DEAD, env={"COMPAT_CONTROL_URL": ""})
    assert down.returncode == ExitCode.TARGET_DOWN
    assert "target down" in down.stdout and "none given: --control-url" in down.stdout
    net = _doctor("--client-url", DEAD, "--provider-url", DEAD, "--control-url", DEAD)
    assert net.returncode == ExitCode.NETWORK_DOWN
    assert "network down" in net.stdout
    assert re.search(r"--control-url +http://127.0.0.1:9 \(command line\)", net.stdout)
