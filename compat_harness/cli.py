"""``compat``: the harness for humans. ``run`` wraps pytest (everything pytest accepts passes
through after ``--``); the other commands answer questions without running journeys."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from compat_harness.config import DEFAULTS, SettingError, project_ini, read, run_flags
from compat_harness.deprecation import say_deprecated
from compat_harness.devices import BUILTIN_DEVICES
from compat_harness.exitcodes import ExitCode
from compat_harness.matrix import MatrixError, load_matrix


def _project_root() -> Path:
    """The folder holding suites/ (the current one or a parent)."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "suites").is_dir() and (folder / "conftest.py").exists():
            return folder
    print(
        f"compat: no project here ({here} has no suites/ and conftest.py, nor has any parent). "
        "Fix: cd into the project folder and run it again",
        file=sys.stderr,
    )
    raise SystemExit(int(ExitCode.USAGE_ERROR))


# --- run -------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace, passthrough: list[str]) -> int:
    import pytest

    root = _project_root()
    os.chdir(root)
    pytest_args = [str(root / "suites"), "-p", "no:cacheprovider"]
    for opt in run_flags():  # the settings table's flags, as given (an old spelling too: the
        value = getattr(args, opt.dest, None)  # plugin's reader says it is deprecated, once)
        if value is True:
            pytest_args.append(opt.flag)
        elif value not in (None, False, ""):
            pytest_args += [opt.flag, str(value)]
    if args.defects:
        pytest_args += ["--defects", args.defects]
    if args.workers:
        pytest_args += ["-n", str(args.workers)]
    if args.journey:
        pytest_args += ["-k", " or ".join(args.journey.split(","))]
    if not args.verbose:
        pytest_args += ["-q", "-p", "no:warnings"]
    code = int(pytest.main([*pytest_args, *passthrough]))
    if code == ExitCode.INTERRUPTED:
        # Stopped: the report is written and the processes are ended; a CI job being cancelled
        # has seconds left, and the interpreter's own cleanup takes one or more of them.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


# --- doctor ----------------------------------------------------------------------------------------


def _doctor(args: argparse.Namespace) -> int:
    from compat_harness.support.doctor import doctor

    root = _project_root()
    given = {
        "matrix": args.matrix,
        "client_url": args.client_url,
        "provider_url": args.provider_url,
        "control_url": args.control_url,
    }
    try:
        settings = read(given, os.environ, project_ini(root))
        matrix = load_matrix(settings.resolve_path("matrix", root))
    except (SettingError, MatrixError) as exc:
        print(f"compat doctor: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    say_deprecated((*settings.deprecations, *matrix.deprecations))
    text, code = doctor(matrix, settings, markdown=args.markdown)
    print(text, end="")
    return code


# --- repro -----------------------------------------------------------------------------------------


def _repro(args: argparse.Namespace) -> int:
    from compat_harness.support.repro import ReproArgs, run_repro

    if args.list:
        return _repro_list(args)
    if not args.device or not (args.journey or args.steps):
        print(
            'compat repro: give --device "how the person describes it" and --journey NAME '
            "or --steps FILE (`compat repro --list` shows journeys and devices)",
            file=sys.stderr,
        )
        return int(ExitCode.USAGE_ERROR)
    root = _project_root()
    os.chdir(root)
    repro_args = ReproArgs(
        device=args.device,
        journey=args.journey or "steps",
        steps=args.steps,
        portal=args.portal,
        client_url=args.client_url,
        provider_url=args.provider_url,
        control_url=args.control_url,
        defects=args.defects,
        allow_destructive=args.allow_destructive,
        out=args.out,
        report_dir=args.report_dir,
        matrix=args.matrix,
        secrets_file=args.secrets_file,
        mask=args.mask,
        mask_file=args.mask_file,
        verbose=args.verbose,
    )
    return run_repro(repro_args, root)


def _repro_list(args: argparse.Namespace) -> int:
    from compat_harness.support.devices import EXAMPLES, match_device, understood
    from compat_harness.support.journeys import ALIASES, JOURNEYS

    print("Journeys (--journey NAME[,NAME]):")
    for j in JOURNEYS:
        flags = [
            f
            for f, on in (
                ("both portals: --portal", j.both_portals),
                ("creates data", j.destructive),
            )
            if on
        ]
        print(f"  {j.name:<19} {j.title}{f' [{chr(59).join(flags)}]' if flags else ''}")
        for test in j.tests:
            print(f"  {'':<19} → {test}")
    print("  aliases: " + ", ".join(f"{a} = {n}" for a, n in ALIASES.items()))
    print()
    print('Devices (--device "as the person says it"): ' + understood())
    try:
        cells = load_matrix(Path(args.matrix)).cells
    except MatrixError:
        cells = {}
    for example in EXAMPLES:
        match = match_device(example)
        cell = match.cell_in(cells) if cells else match.cells[0]
        print(f"  {example!r:<26} → {cell}" + (f"  ({match.notes[0]})" if match.notes else ""))
    print()
    print(
        "Every journey runs on the device's cell and on chrome-desktop (the recommended desktop),"
    )
    print("each in a fresh profile and in one with stored data from an earlier visit.")
    return 0


# --- small commands --------------------------------------------------------------------------------


def _matrix(args: argparse.Namespace) -> int:
    try:
        matrix = load_matrix(args.matrix)
    except MatrixError as exc:
        print(f"matrix: {exc}")
        return int(ExitCode.USAGE_ERROR)
    for cell in matrix.cells.values():
        d = cell.device
        tiers = ", ".join(f"{p.value} {t.value}" for p, t in cell.tiers.items())
        print(
            f"{cell.id:<16} {cell.browser:<9} {d.name} {d.viewport}@{d.scale:g}x"
            f"{' touch' if d.touch else ''} · engines {', '.join(cell.engines)} · {tiers}"
            + (f" · stands for {cell.stands_for}" if cell.stands_for else "")
        )
    print()
    for name, cells in matrix.cell_sets.items():
        print(f"cell set {name}: {', '.join(cells)}")
    say_deprecated(matrix.deprecations)
    return 0


def _devices(_: argparse.Namespace) -> int:
    for d in BUILTIN_DEVICES.values():
        print(
            f"{d.name:<20} {d.viewport}@{d.scale:g}x{' touch' if d.touch else '':<6} {d.platform}"
        )
    return 0


def _defects(_: argparse.Namespace) -> int:
    from reference_app.defects import CATALOG

    for defect in CATALOG:
        print(f"{defect.name:<32} [{defect.category}, {defect.portal}] {defect.title}")
        print(f"{'':<32} {defect.symptom}")
    return 0


def _app(args: argparse.Namespace) -> int:
    cmd = [sys.executable, "-m", "reference_app", "--mode", args.mode]
    if args.defects:
        cmd += ["--defects", args.defects]
    for flag, value in (
        ("--client-port", args.client_port),
        ("--provider-port", args.provider_port),
    ):
        if value:
            cmd += [flag, str(value)]
    os.execv(sys.executable, cmd)
    return 0  # pragma: no cover


def _allure_report(run_dir: Path) -> int:
    from compat_harness.report.allure import AllureUnavailable, generate_allure_report

    try:
        root = _project_root()
    except SystemExit:
        root = Path.cwd()
    print(f"generating the Allure report of {run_dir.resolve().name} with Allure 3 (npm)...")
    try:
        output = generate_allure_report(run_dir, root / ".allure")
    except AllureUnavailable as exc:
        print(f"compat report allure: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    print(f"{output / 'index.html'}")
    print(f"view it with: {root / '.allure' / 'node_modules' / '.bin' / 'allure'} open {output}")
    return 0


def _report(args: argparse.Namespace) -> int:
    root = Path(args.report_dir)
    run_dir = root / (args.run or "latest")
    if args.action == "allure":
        return _allure_report(run_dir)
    html = run_dir / "report.html"
    if not html.exists():
        print(
            f"compat report: no report at {html}. Fix: run `compat run` first, or name the run "
            f"folder's id (and --report-dir) of an earlier run",
            file=sys.stderr,
        )
        return int(ExitCode.USAGE_ERROR)
    if args.action == "path":
        print(html.resolve())
    elif args.action == "open":
        webbrowser.open(html.resolve().as_uri())
        print(html.resolve())
    else:
        _serve(run_dir, args.host, args.port)
    return 0


def _serve(run_dir: Path, host: str, port: int) -> None:
    from compat_harness.report.serve import is_loopback, make_server

    if not is_loopback(host):
        print(
            f"warning: serving on {host}, not loopback: anyone who can reach this machine can "
            "read the report (errors, screenshots, traces). Drop --host to keep it local",
            file=sys.stderr,
        )
    with make_server(run_dir, host, port) as server:
        shown = host if ":" not in host else f"[{host}]"
        print(
            f"serving {run_dir.resolve()} at http://{shown}:{server.server_address[1]}/"
            "report.html (Ctrl-C stops)",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()


def _merge(args: argparse.Namespace) -> int:
    from compat_harness.plugin.settings import new_run_id
    from compat_harness.report.merge import MergeError, merge_dirs
    from compat_harness.report.text import terminal_summary

    out = Path(args.report_dir) / (args.run_id or new_run_id())
    try:
        run, paths = merge_dirs([Path(d) for d in args.shards], out)
    except MergeError as exc:
        print(f"compat merge: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    if args.allure and "allure" in paths:
        code = _allure_report(out)
        if code:
            return code
    for line in terminal_summary(run, paths, run.fail_on):
        print(line)
    missing = run.run.get("missing_shards") or []
    if missing:
        print(f"warning: shard(s) {', '.join(missing)} missing: the merged report is incomplete")
        return int(ExitCode.TESTS_FAILED)
    if run.gating_failures():
        return int(ExitCode.TESTS_FAILED)
    return int(ExitCode.GATING_NOT_RUN) if run.gating_not_run() else int(ExitCode.OK)


# --- parser ----------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 4, as every other usage error of the harness does (argparse says 2,
    which a run uses for "interrupted"); no abbreviated flags, so a prefix never means another."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    # Said with an unrecognized flag of `compat run` (main() sets it).
    passthrough_hint = False

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        fix = f"see `{self.prog} --help`"
        if message.startswith("unrecognized arguments") and self.passthrough_hint:
            fix += "; pytest's own flags go after `--` (compat run ... -- --lf)"
        self.exit(int(ExitCode.USAGE_ERROR), f"{self.prog}: error: {message}\nFix: {fix}\n")


def _exit_codes_help() -> str:
    return "exit codes:\n" + "\n".join(
        f"  {int(code):>2}  {text}" for code, text in EXIT_CODE_HELP.items()
    )


EXIT_CODE_HELP = {
    ExitCode.OK: "every cell whose tier gates the run passed",
    ExitCode.TESTS_FAILED: "tests failed in a gating cell",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C, SIGTERM): the partial report is written",
    ExitCode.USAGE_ERROR: "usage error (flags, matrix, quarantine, URLs, ...): nothing ran",
    ExitCode.NO_TESTS: "no tests collected",
    ExitCode.TARGET_DOWN: "target down (before the run or during it)",
    ExitCode.NETWORK_DOWN: "network down",
    ExitCode.NO_ENGINE: "no selected cell has an available engine",
    ExitCode.GATING_NOT_RUN: "a cell whose tier gates the run did not run (--allow-not-run)",
    ExitCode.REPORTS_ELSEWHERE: "passed, but the report folder could not be written (it says where)",
}


def _shown_default(value: object) -> str:
    if value in (None, False, (), ""):
        return ""
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="compat", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run a cell set of the matrix and write the compatibility report",
        description="Run a cell set of the matrix and write the compatibility report. "
        "Anything after -- goes to pytest.",
        epilog=_exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for opt in run_flags():  # the settings table: one flag, one help, one default
        shown = _shown_default(opt.default)
        help_text = opt.help + (f" (default: {shown})" if shown else "")
        if opt.is_flag:
            run.add_argument(
                opt.flag, dest=opt.dest, action="store_true", default=None, help=help_text
            )
        else:
            run.add_argument(opt.flag, dest=opt.dest, help=f"{help_text} [env {opt.env}]")
    run.add_argument("--journey", help="comma list of journeys/tests to run (pytest -k)")
    run.add_argument(
        "--defects", help="reference app only: defects to switch on (see `compat defects`)"
    )
    run.add_argument("--workers", type=int, help="parallel workers (pytest-xdist)")
    run.add_argument("-v", "--verbose", action="store_true", help="pytest's full output")

    doctor = sub.add_parser(
        "doctor", help="which cells can run here, what to install, is the target up"
    )
    doctor.add_argument("--matrix", help=f"matrix file (default: {DEFAULTS.matrix})")
    doctor.add_argument("--client-url", help="client portal URL to check")
    doctor.add_argument("--provider-url", help="provider portal URL to check")
    doctor.add_argument("--control-url", help="a site outside the target that should answer")
    doctor.add_argument("--markdown", action="store_true", help="Markdown, for a ticket or chat")

    repro = sub.add_parser(
        "repro",
        help="reproduce a reported problem on the closest device: verdict, advice, ticket bundle",
        description="Run a journey on the device a person describes and on the recommended "
        "desktop, in a fresh and a stored-data profile; print a plain-language verdict and "
        "write a bundle (zip + HTML page) to attach to the ticket. Exit codes: 0 works, "
        "1 reproduced a failure, 4 usage, 10 target down, 11 network down, 12 no engine.",
    )
    repro.add_argument("--device", help='as the person describes it, e.g. "iPhone, iOS 17, Safari"')
    repro.add_argument("--journey", help="journey name(s), comma separated (see --list)")
    repro.add_argument(
        "--steps",
        help="a YAML list of steps the person took, replayed instead of a named journey "
        "(open, sign in, click, fill, select, check, see, url)",
    )
    repro.add_argument("--list", action="store_true", help="list journeys and how devices map")
    repro.add_argument(
        "--portal",
        choices=["client", "provider"],
        default="client",
        help="for journeys on both portals",
    )
    repro.add_argument("--client-url", help="client portal URL (default: embedded reference app)")
    repro.add_argument("--provider-url", help="provider portal URL")
    repro.add_argument(
        "--control-url", help="a site that should answer, to tell target from network down"
    )
    repro.add_argument("--defects", help="reference app only: switch catalogued defects on")
    repro.add_argument(
        "--allow-destructive",
        action="store_true",
        help="allow journeys that create data on a non-test target",
    )
    repro.add_argument("--secrets-file", help="test account credentials (KEY=value lines)")
    repro.add_argument("--mask", help="extra CSS selectors to mask in screenshots (comma list)")
    repro.add_argument("--mask-file", help="masking YAML (default: matrix/masking.yaml)")
    repro.add_argument("--out", default="reports/support", help="where bundles go")
    repro.add_argument(
        "--report-dir", default=DEFAULTS.report_dir, help="where the run's full report goes"
    )
    repro.add_argument("--matrix", default=DEFAULTS.matrix)
    repro.add_argument("-v", "--verbose", action="store_true", help="show pytest's output")

    matrix = sub.add_parser("matrix", help="validate and list the matrix's cells and cell sets")
    matrix.add_argument("--matrix", default=DEFAULTS.matrix)
    sub.add_parser("devices", help="list the built-in devices")
    sub.add_parser("defects", help="list the reference app's defect catalog")

    app = sub.add_parser("app", help="start the embedded reference app in the foreground")
    app.add_argument("--defects", help="comma list of defects to switch on")
    app.add_argument("--mode", choices=["test", "production"], default="test")
    app.add_argument("--client-port", type=int)
    app.add_argument("--provider-port", type=int)

    report = sub.add_parser(
        "report", help="find, open or serve a run's report; `allure` builds its Allure report"
    )
    report.add_argument(
        "action", choices=["path", "open", "serve", "allure"], nargs="?", default="path"
    )
    report.add_argument("run", nargs="?", help="run id (default: latest)")
    report.add_argument("--report-dir", default=DEFAULTS.report_dir)
    report.add_argument("--port", type=int, default=0, help="serve: port (default: a free one)")
    report.add_argument(
        "--host",
        default="127.0.0.1",
        help="serve: address to listen on (default 127.0.0.1: this machine only)",
    )

    merge = sub.add_parser(
        "merge", help="merge shard runs (--shard I/N) into one run folder with every report"
    )
    merge.add_argument("shards", nargs="+", help="the shards' run folders (or results.json files)")
    merge.add_argument(
        "--report-dir", default=DEFAULTS.report_dir, help="where the merged run goes"
    )
    merge.add_argument("--run-id", help="id (folder name) of the merged run (default: new)")
    merge.add_argument(
        "--allure", action="store_true", help="also generate the Allure report (Allure 3, npm)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, passthrough = argv[:cut], argv[cut + 1 :]
    parser = build_parser()
    parser.passthrough_hint = argv[:1] == ["run"]  # type: ignore[attr-defined]
    args = parser.parse_args(argv)
    handlers = {
        "run": lambda: _run(args, passthrough),
        "doctor": lambda: _doctor(args),
        "repro": lambda: _repro(args),
        "matrix": lambda: _matrix(args),
        "devices": lambda: _devices(args),
        "defects": lambda: _defects(args),
        "app": lambda: _app(args),
        "report": lambda: _report(args),
        "merge": lambda: _merge(args),
    }
    return handlers[args.command]()


if __name__ == "__main__":
    sys.exit(main())
