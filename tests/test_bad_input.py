"""Bad input, as users give it: matrix, quarantine, masking, steps and secrets files, flags,
environment values and URLs. Every case is refused with a message naming the cause and the fix,
exits 4, starts no browser and writes nothing that could pass for a result. The cases run in this
process (pytest's and `compat`'s own entry points), so the battery stays fast."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compat_harness import cli, processes
from compat_harness.exitcodes import ExitCode
from tests.support.matrix_run import PLUGINS, ROOT

pytest_plugins = ["pytester"]

MATRIX = ROOT / "matrix" / "default.yaml"
CELL = """
cells:
  c:
    device: Desktop 1440
    browser: chromium
    tier: {client: recommended, provider: recommended}
"""
# The cell sets' key in both spellings (the old one, profiles:, alone only warns).
BOTH_SET_KEYS = CELL + "cell_sets:\n  default: [c]\nprofiles:\n  default: [c]\n"
BROWSERS = ("chrom", "MiniBrowser", "WebKitWebDriver", "node", "Xvfb", "ffmpeg")


@dataclass(frozen=True)
class Case:
    """One bad input: what is given, and fragments the message must hold (the cause, the fix)."""

    id: str
    args: tuple[str, ...] = ()
    expect: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # name -> text, in the run's folder
    env: dict[str, str] = field(default_factory=dict)
    compat: bool = False  # through the `compat` command instead of plain pytest


def _matrix(text: str, *expect: str, id: str) -> Case:
    return Case(id, ("--matrix=m.yaml",), expect, files={"m.yaml": text})


CASES = [
    # --- matrix YAML ----------------------------------------------------------------------------
    _matrix(
        CELL.replace("Desktop 1440", "iPhone 41"),
        "m.yaml:4",
        "unknown device",
        "Fix:",
        id="matrix-device",
    ),
    _matrix(
        CELL.replace("chromium", "chrome"),
        "m.yaml:5",
        "unknown browser 'chrome'",
        "use one of",
        id="matrix-browser",
    ),
    _matrix(
        CELL + "    engines: [playwrite]\n",
        "unknown engine 'playwrite'",
        "did you mean 'playwright'",
        id="matrix-engine",
    ),
    _matrix(
        CELL + "    browser: webkit\n",
        "duplicate key 'browser'",
        "remove or rename",
        id="matrix-duplicate-key",
    ),
    _matrix("cells: [c\n", "m.yaml", "YAML", "Fix:", id="matrix-not-yaml"),
    _matrix("", "m.yaml", "cells", "Fix:", id="matrix-empty"),
    _matrix(
        CELL.replace("client: recommended", "client: great"),
        "tier",
        "great",
        "use one of",
        id="matrix-tier",
    ),
    _matrix(CELL + "cell_sets:\n  p: [c, nope]\n", "nope", "Fix:", id="matrix-cell-set-cell"),
    _matrix(BOTH_SET_KEYS, "m.yaml:9: 'profiles' and 'cell_sets'", "Fix: keep", id="sets-twice"),
    _matrix(CELL + "colour: blue\n", "colour", "Fix:", id="matrix-unknown-key"),
    _matrix(
        CELL + "    remote: {url: 'https://${NO_SUCH_GRID_VAR}/wd/hub'}\n",
        "NO_SUCH_GRID_VAR",
        "Fix:",
        id="matrix-remote-env",
    ),
    _matrix(
        CELL + "    remote: {url: 'https://grid.example/wd/hub', spare: 'yes'}\n",
        "m.yaml:7",
        "spare 'yes' is not true or false",
        "Fix:",
        id="matrix-remote-spare",
    ),
    Case("matrix-missing", ("--matrix=nowhere.yaml",), ("nowhere.yaml", "Fix:")),
    _matrix(
        CELL + "    stands_for: 42\n",
        "m.yaml:7",
        "stands_for must be a browserslist query",
        "Fix:",
        id="matrix-stands-for",
    ),
    Case(
        "versions-allow-missing",
        ("--versions-allow=gone.yaml",),
        ("gone.yaml: no such version allowlist file", "Fix: check --versions-allow"),
    ),
    Case(
        "versions-allow-yaml",
        ("--versions-allow=v.yaml",),
        ("v.yaml", "not valid YAML. Fix:"),
        files={"v.yaml": "allow: [\n"},
    ),
    Case("versions-flag", ("--versions=maybe",), ("--versions", "maybe", "on or off")),
    # --- quarantine -----------------------------------------------------------------------------
    Case(
        "quarantine-yaml",
        ("--quarantine=q.yaml",),
        ("q.yaml", "not valid YAML"),
        files={"q.yaml": "quarantine: [\n"},
    ),
    Case(
        "quarantine-until",
        ("--quarantine=q.yaml",),
        ("q.yaml:2", "'until' must be a date", "YYYY-MM-DD"),
        files={"q.yaml": "quarantine:\n  - {journey: login_url, until: soon, reason: x}\n"},
    ),
    Case(
        "quarantine-reason",
        ("--quarantine=q.yaml",),
        ("q.yaml:2", "no 'reason'. Fix: say why"),
        files={"q.yaml": "quarantine:\n  - journey: login_url\n    until: 2030-01-01\n"},
    ),
    Case(
        "quarantine-cell",
        ("--quarantine=q.yaml",),
        ("q.yaml", "no cell named ios-webkt"),
        files={
            "q.yaml": "quarantine:\n  - {journey: login_url, cells: [ios-webkt], until: 2030-01-01, reason: x}\n"
        },
    ),
    Case(
        "quarantine-key",
        ("--quarantine=q.yaml",),
        ("unknown key(s) util", "Fix: use"),
        files={"q.yaml": "quarantine:\n  - {journey: login_url, util: 2030-01-01, reason: x}\n"},
    ),
    Case(
        "quarantine-missing", ("--quarantine=gone.yaml",), ("gone.yaml", "no such quarantine file")
    ),
    # --- masking --------------------------------------------------------------------------------
    Case(
        "masking-type",
        ("--step-screenshots", "--mask-file=k.yaml"),
        ("k.yaml", "'selectors' must be a list of CSS selector strings"),
        files={"k.yaml": "selectors: 3\n"},
    ),
    Case(
        "masking-keys",
        ("--step-screenshots", "--mask-file=k.yaml"),
        ("k.yaml", "expected the keys 'version' and 'selectors'"),
        files={"k.yaml": "selector: [x]\n"},
    ),
    Case(
        "masking-missing",
        ("--step-screenshots", "--mask-file=gone.yaml"),
        ("gone.yaml", "no such masking file", "Fix:"),
    ),
    # --- steps ----------------------------------------------------------------------------------
    Case(
        "steps-action",
        ("--steps=s.yaml",),
        ("s.yaml", "one of"),
        files={"s.yaml": "steps:\n  - jump: /login\n"},
    ),
    Case(
        "steps-click",
        ("--steps=s.yaml",),
        ("s.yaml", "write click as '<role> <name>'"),
        files={"s.yaml": "steps:\n  - click: x\n"},
    ),
    Case(
        "steps-portal",
        ("--steps=s.yaml",),
        ("s.yaml", "portal must be client or provider"),
        files={"s.yaml": "portal: admin\nsteps:\n  - open: /\n"},
    ),
    Case("steps-missing", ("--steps=gone.yaml",), ("cannot read the steps file", "gone.yaml")),
    # --- secrets file ---------------------------------------------------------------------------
    Case(
        "secrets-missing",
        ("--secrets-file=gone.env",),
        ("gone.env: cannot read it (No such file", "Fix:"),
    ),
    Case(
        "secrets-line",
        ("--secrets-file=s.env",),
        ("s.env:2: not a KEY=value line", "Fix:"),
        files={"s.env": "COMPAT_CLIENT_EMAIL=a@b\nhunter2\n"},
    ),
    Case(
        "secrets-typo",
        ("--secrets-file=s.env",),
        ("s.env:1: unknown secret COMPAT_CLIENT_PASWORD", "COMPAT_CLIENT_PASSWORD"),
        files={"s.env": "COMPAT_CLIENT_PASWORD=x\n"},
    ),
    # --- flags ----------------------------------------------------------------------------------
    Case(
        "cells",
        ("--cells=chrome-dekstop",),
        ("unknown cell(s) chrome-dekstop", "did you mean 'chrome-desktop'"),
    ),
    Case("cell-set", ("--cell-set=fast",), ("unknown cell set 'fast'", "use one of")),
    Case("cell-set-old-flag", ("--profile=fast",), ("unknown cell set 'fast'", "use one of")),
    Case(
        "cell-set-twice",
        ("--cell-set=quick", "--profile=full"),
        ("--cell-set and --profile are one setting", "Fix: give only --cell-set"),
    ),
    Case(
        "engine",
        ("--engine=ios-webkit=magic",),
        ("unknown engine 'magic'", "use one of playwright"),
    ),
    Case(
        "engine-cell", ("--engine=iphone=webkitgtk",), ("no cell named 'iphone'", "Fix: use one of")
    ),
    Case("fail-on", ("--fail-on=sometimes",), ("--fail-on 'sometimes'", "use a comma list of")),
    Case("retries-negative", ("--retries=-1",), ("--retries '-1' must be 0 or more",)),
    Case("retries-word", ("--retries=twice",), ("--retries 'twice' is not a whole number",)),
    Case("shard-range", ("--shard=3/2",), ("--shard '3/2'", "use I/N with 1 <= I <= N")),
    Case("timeout", ("--action-timeout=0",), ("timeout '0' must be positive",)),
    Case("portal", ("--portal=both",), ("--portal 'both'", "use client or provider")),
    Case(
        "remote-url",
        ("--remote=ios-webkit=grid.example",),
        ("--remote 'ios-webkit=grid.example'", "ws://"),
    ),
    Case(
        "remote-cell", ("--remote=iphone=https://grid.example",), ("no cell named 'iphone'", "Fix:")
    ),
    Case(
        "allow-not-run",
        ("--allow-not-run=ios-webkt",),
        ("--allow-not-run: no cell named 'ios-webkt'", "did you mean 'ios-webkit'"),
    ),
    Case(
        "defects",
        ("--defects=login-button-offscreen",),
        ("unknown defect(s): login-button-offscreen", "known defects"),
    ),
    Case(
        "defects-with-urls",
        (
            "--defects=login-ua-data",
            "--client-url=http://127.0.0.1:9",
            "--provider-url=http://127.0.0.1:9",
        ),
        ("embedded reference app only", "drop it or drop the URLs"),
    ),
    Case(
        "report-dir-file",
        ("--report-dir=taken",),
        ("--report-dir", "is not a folder", "Fix:"),
        files={"taken": "a file"},
    ),
    # --- URLs -----------------------------------------------------------------------------------
    Case(
        "url-one-portal",
        ("--client-url=http://127.0.0.1:9",),
        ("give both --client-url and --provider-url",),
    ),
    Case(
        "url-not-http",
        ("--client-url=portal.example", "--provider-url=http://127.0.0.1:9"),
        ("'portal.example' is not an http(s) URL", "Fix: pass e.g. https://"),
    ),
    Case(
        "url-control",
        ("--control-url=ftp://x",),
        ("--control-url 'ftp://x' is not an http(s) URL", "Fix:"),
    ),
    # --- environment ----------------------------------------------------------------------------
    Case(
        "env-engine",
        (),
        ("(from env COMPAT_ENGINE)", "unknown engine 'magic'", "Fix:"),
        env={"COMPAT_ENGINE": "magic"},
    ),
    Case(
        "env-shard",
        (),
        ("--shard (env COMPAT_SHARD) '0/0'", "use I/N"),
        env={"COMPAT_SHARD": "0/0"},
    ),
    Case("env-cells", (), ("unknown cell(s) nope", "use one of"), env={"COMPAT_CELLS": "nope"}),
    Case(
        "env-cell-set-twice",
        (),
        ("COMPAT_CELL_SET and COMPAT_PROFILE are one setting", "Fix: give only COMPAT_CELL_SET"),
        env={"COMPAT_CELL_SET": "quick", "COMPAT_PROFILE": "quick"},
    ),
    Case(
        "env-retries",
        (),
        ("--retries (env COMPAT_RETRIES) 'many'",),
        env={"COMPAT_RETRIES": "many"},
    ),
    Case(
        "env-allow-not-run",
        (),
        ("--allow-not-run: no cell named 'everything'", "Fix: use one of chrome-desktop"),
        env={"COMPAT_ALLOW_NOT_RUN": "everything"},
    ),
    # --- the compat command ---------------------------------------------------------------------
    Case(
        "compat-fail-on",
        ("run", "--fail-on", "sometimes"),
        ("--fail-on 'sometimes'", "use a comma list of"),
        compat=True,
    ),
    Case(
        "compat-unknown-flag",
        ("run", "--jobs", "2"),
        ("unrecognized arguments: --jobs", "pytest's own flags go after `--`"),
        compat=True,
    ),
    Case("compat-no-command", (), ("required: command", "Fix: see `compat --help`"), compat=True),
    Case(
        "compat-cell-set-twice",
        ("run", "--cell-set", "quick", "--profile", "full"),
        ("--cell-set and --profile are one setting", "Fix: give only --cell-set"),
        compat=True,
    ),
    Case(
        "compat-workers",
        ("run", "--workers", "two"),
        ("--workers: invalid int value: 'two'", "Fix:"),
        compat=True,
    ),
    Case(
        "compat-report-action",
        ("report", "publish"),
        ("invalid choice: 'publish'", "Fix:"),
        compat=True,
    ),
    Case(
        "compat-app-mode",
        ("app", "--mode", "staging"),
        ("invalid choice: 'staging'", "Fix:"),
        compat=True,
    ),
    Case(
        "compat-repro-device",
        ("repro", "--journey", "sign-in"),
        ("give --device", "--list"),
        compat=True,
    ),
    Case("compat-merge-none", ("merge",), ("required: shards", "Fix:"), compat=True),
    Case(
        "compat-engine",
        ("run", "--engine", "ios-webkit=magic"),
        ("unknown engine 'magic'", "Fix:"),
        compat=True,
    ),
    Case(
        "compat-doctor-flag",
        ("doctor", "--nope"),
        ("unrecognized arguments: --nope", "Fix: see"),
        compat=True,
    ),
    Case(
        "compat-matrix-file",
        ("matrix", "--matrix", "nowhere.yaml"),
        ("cannot read the matrix file", "Fix: check --matrix"),
        compat=True,
    ),
    Case(
        "compat-report-none",
        ("report", "path", "no-such-run"),
        ("no report at", "Fix: run `compat run` first"),
        compat=True,
    ),
]


def _browsers() -> set[int]:
    return {
        p.pid
        for p in processes.descendants(__import__("os").getpid())
        if any(name in p.cmdline for name in BROWSERS) and "<defunct>" not in p.cmdline
    }


def _compat(argv: tuple[str, ...], report_dir: Path) -> tuple[int, str]:
    if argv[:1] == ("run",):
        argv = (*argv, "--report-dir", str(report_dir))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:
            code = int(exc.code) if isinstance(exc.code, int) else 1
    return code, out.getvalue() + err.getvalue()


def _pytest(pytester: pytest.Pytester, case: Case, report_dir: Path) -> tuple[int, str]:
    pytester.makepyfile(test_journey="def test_journey(session):\n    pass\n")
    args = (*PLUGINS, "-p", "no:cacheprovider", f"--matrix={MATRIX}")
    result = pytester.runpytest_inprocess(
        *args, f"--report-dir={report_dir}", "--run-id=r", "-W", "ignore", *case.args
    )
    return int(result.ret), result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_cause_and_fix(
    case: Case, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, text in case.files.items():
        (pytester.path / name).write_text(text)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    report_dir = pytester.path / "reports"
    browsers_before = _browsers()
    run: Callable[[], tuple[int, str]]
    if case.compat:
        monkeypatch.chdir(ROOT)
        run = lambda: _compat(case.args, report_dir)  # noqa: E731
    else:
        run = lambda: _pytest(pytester, case, report_dir)  # noqa: E731
    code, output = run()

    assert code == ExitCode.USAGE_ERROR, f"exit {code}:\n{output[-2000:]}"
    missing = [fragment for fragment in case.expect if fragment not in output]
    assert not missing, f"{missing} not in:\n{output[-2000:]}"
    assert "Traceback" not in output, output[-2000:]
    assert _browsers() <= browsers_before, "a browser started"
    written = [p for p in report_dir.rglob("*")] if report_dir.exists() else []
    assert not written, f"written despite the usage error: {written}"


def test_the_battery_covers_every_kind_of_input() -> None:
    assert len(CASES) >= 40
    kinds = {c.id.split("-")[0] for c in CASES}
    assert {"matrix", "quarantine", "masking", "steps", "secrets", "url", "env", "compat"} <= kinds
    assert "versions" in kinds
