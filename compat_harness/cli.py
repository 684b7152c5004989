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

from compat_harness.devices import BUILTIN_DEVICES
from compat_harness.exitcodes import ExitCode
from compat_harness.matrix import MatrixError, load_matrix

DEFAULT_MATRIX = "matrix/default.yaml"


def _project_root() -> Path:
    """The folder holding suites/ (the current one or a parent)."""
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "suites").is_dir() and (folder / "conftest.py").exists():
            return folder
    raise SystemExit(
        "compat: run this from the project folder (the one with suites/ and conftest.py)"
    )


# --- run -------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace, passthrough: list[str]) -> int:
    import pytest

    root = _project_root()
    os.chdir(root)
    pytest_args = [str(root / "suites"), "-p", "no:cacheprovider"]
    for flag, value in (
        ("--profile", args.profile),
        ("--cells", args.cells),
        ("--matrix", args.matrix),
        ("--client-url", args.client_url),
        ("--provider-url", args.provider_url),
        ("--defects", args.defects),
        ("--report-dir", args.report_dir),
        ("--engine", args.engine),
        ("--shard", args.shard),
        ("--quarantine", args.quarantine),
        ("--run-id", args.run_id),
    ):
        if value:
            pytest_args += [flag, value]
    if args.workers:
        pytest_args += ["-n", str(args.workers)]
    if args.retries:
        pytest_args += ["--retries", str(args.retries)]
    for flag, on in (
        ("--allow-destructive", args.allow_destructive),
        ("--fail-on-flaky", args.fail_on_flaky),
        ("--allure", args.allure),
    ):
        if on:
            pytest_args.append(flag)
    if args.journey:
        pytest_args += ["-k", " or ".join(args.journey.split(","))]
    if not args.verbose:
        pytest_args += ["-q", "-p", "no:warnings"]
    return int(pytest.main([*pytest_args, *passthrough]))


# --- doctor ----------------------------------------------------------------------------------------


def _doctor(args: argparse.Namespace) -> int:
    from compat_harness.support.doctor import doctor

    def setting(value: str | None, env: str) -> tuple[str | None, str]:
        if value:
            return value, "command line"
        if os.environ.get(env):
            return os.environ[env], f"env {env}"
        return None, "default"

    matrix_path, matrix_source = setting(args.matrix, "COMPAT_MATRIX")
    path = Path(matrix_path or DEFAULT_MATRIX)
    try:
        matrix = load_matrix(path)
    except MatrixError as exc:
        print(f"matrix: {exc}")
        return int(ExitCode.USAGE_ERROR)
    text, code = doctor(
        matrix,
        (str(path), matrix_source),
        setting(args.client_url, "COMPAT_CLIENT_URL"),
        setting(args.provider_url, "COMPAT_PROVIDER_URL"),
        setting(args.control_url, "COMPAT_CONTROL_URL"),
        markdown=args.markdown,
    )
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
    for name, cells in matrix.profiles.items():
        print(f"profile {name}: {', '.join(cells)}")
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


def _trace_viewer_dir() -> Path:
    """Playwright's own trace viewer (static files shipped with the Python package)."""
    import playwright

    return Path(playwright.__file__).parent / "driver" / "package" / "lib" / "vite" / "traceViewer"


def _report_handler_class() -> type:
    import http.server

    class ReportHandler(http.server.SimpleHTTPRequestHandler):
        """The run folder, plus Playwright's trace viewer at /trace-viewer/ so traces open."""

        def translate_path(self, path: str) -> str:
            if path.startswith("/trace-viewer/"):
                rest = path.split("?", 1)[0].removeprefix("/trace-viewer/") or "index.html"
                return str(_trace_viewer_dir() / rest)
            return super().translate_path(path)

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the URL printed at start is what matters

    return ReportHandler


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
        print(f"no report at {html}: run `compat run` first")
        return 1
    if args.action == "path":
        print(html.resolve())
    elif args.action == "open":
        webbrowser.open(html.resolve().as_uri())
        print(html.resolve())
    else:
        import functools
        import http.server

        handler = functools.partial(_report_handler_class(), directory=str(run_dir.resolve()))
        with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
            print(
                f"serving {run_dir.resolve()} at http://127.0.0.1:{server.server_address[1]}/report.html (Ctrl-C stops)"
            )
            with contextlib.suppress(KeyboardInterrupt):
                server.serve_forever()
    return 0


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
    return int(ExitCode.TESTS_FAILED) if run.gating_failures() else int(ExitCode.OK)


# --- parser ----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="compat", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="run a profile of the matrix and write the compatibility report"
    )
    run.add_argument("--profile", help="profile of the matrix (default: default)")
    run.add_argument("--cells", help="comma list of cells (wins over --profile)")
    run.add_argument("--matrix", help=f"matrix file (default: {DEFAULT_MATRIX})")
    run.add_argument("--journey", help="comma list of journeys/tests to run (pytest -k)")
    run.add_argument("--client-url", help="client portal URL (default: embedded reference app)")
    run.add_argument("--provider-url", help="provider portal URL")
    run.add_argument("--defects", help="reference app defects to switch on (see `compat defects`)")
    run.add_argument("--engine", help="force engines: ENGINE or CELL=ENGINE,...")
    run.add_argument("--workers", type=int, help="parallel workers (pytest-xdist)")
    run.add_argument(
        "--retries", type=int, help="retry failed tests N times (retried passes are flaky)"
    )
    run.add_argument(
        "--fail-on-flaky", action="store_true", help="flaky results in gating cells fail the run"
    )
    run.add_argument("--shard", help="run shard I/N of the matrix (then `compat merge`)")
    run.add_argument("--quarantine", help="quarantine file (default: matrix/quarantine.yaml)")
    run.add_argument("--allure", action="store_true", help="write Allure results too")
    run.add_argument("--run-id", help="id (folder name) of this run")
    run.add_argument("--report-dir", help="where reports go (default: reports)")
    run.add_argument(
        "--allow-destructive", action="store_true", help="allow booking/cancel on non-test targets"
    )
    run.add_argument("-v", "--verbose", action="store_true", help="pytest's full output")

    doctor = sub.add_parser(
        "doctor", help="which cells can run here, what to install, is the target up"
    )
    doctor.add_argument("--matrix", help=f"matrix file (default: {DEFAULT_MATRIX})")
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
    repro.add_argument("--report-dir", default="reports", help="where the run's full report goes")
    repro.add_argument("--matrix", default=DEFAULT_MATRIX)
    repro.add_argument("-v", "--verbose", action="store_true", help="show pytest's output")

    matrix = sub.add_parser("matrix", help="validate and list the matrix's cells and profiles")
    matrix.add_argument("--matrix", default=DEFAULT_MATRIX)
    sub.add_parser("devices", help="list the built-in device profiles")
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
    report.add_argument("--report-dir", default="reports")
    report.add_argument("--port", type=int, default=0)

    merge = sub.add_parser(
        "merge", help="merge shard runs (--shard I/N) into one run folder with every report"
    )
    merge.add_argument("shards", nargs="+", help="the shards' run folders (or results.json files)")
    merge.add_argument("--report-dir", default="reports", help="where the merged run goes")
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
    args = build_parser().parse_args(argv)
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
