"""Soak: the default cell set run N times with one worker and N times with two, as `compat run`
runs it, and every (test, cell) whose status was not the same in all runs, with its errors.

    python -m bench.soak [--runs N] [--workers 1,2] [--cell-set default]    (make soak)

N defaults to 10 (or SOAK_RUNS). Writes reports/soak-<time>.json (every run's exit code, time
and totals; every flake with its status and error in each run) and keeps each run's report in
reports/soak-<time>/. Exits 1 when a result flaked, failed in every run, or a run ended without
a report; the target is 0 flakes in 10 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compat_harness.results import RunResult  # noqa: E402


@dataclass
class Run:
    """One run of the soak."""

    id: str
    workers: int
    exit_code: int
    seconds: float
    totals: dict[str, int] = field(default_factory=dict)
    problem: str = ""  # why there are no results, if there are none


@dataclass
class Flake:
    """A (test, cell) whose status differed between runs."""

    test: str
    cell: str
    statuses: dict[str, str]
    errors: dict[str, str]


def _one_run(
    folder: Path, run_id: str, cell_set: str, workers: int
) -> tuple[Run, RunResult | None]:
    cmd = [sys.executable, "-m", "compat_harness", "run", "--cell-set", cell_set]
    cmd += ["--report-dir", str(folder), "--run-id", run_id]
    cmd += ["--workers", str(workers)] if workers > 1 else []
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPAT_")}
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    run = Run(run_id, workers, done.returncode, round(time.monotonic() - started, 1))
    path = folder / run_id / "results.json"
    try:
        result = RunResult.read(path)
    except (OSError, ValueError) as exc:
        run.problem = f"no results ({exc}); output: {(done.stdout + done.stderr)[-600:]}"
        return run, None
    run.totals = result.totals()
    return run, result


def flakes(results: dict[str, RunResult]) -> list[Flake]:
    """Every (test, cell) whose status was not the same in all runs (missing counts too)."""
    keys = sorted({(r.test, r.cell) for run in results.values() for r in run.results})
    grids = {run_id: run.grid() for run_id, run in results.items()}
    out = []
    for test, cell in keys:
        seen = {run_id: grid.get((test, cell)) for run_id, grid in grids.items()}
        statuses = {run_id: r.status.value if r else "missing" for run_id, r in seen.items()}
        if len(set(statuses.values())) > 1:
            errors = {
                run_id: (r.error.message if r.error else r.reason)[:500]
                for run_id, r in seen.items()
                if r is not None and (r.error or r.reason)
            }
            out.append(Flake(test, cell, statuses, errors))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("SOAK_RUNS", "10")))
    parser.add_argument("--workers", default="1,2", help="comma list of worker counts")
    parser.add_argument("--cell-set", default="default")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.runs < 1 or not workers or min(workers) < 1:
        parser.error("--runs and every --workers count must be 1 or more")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = ROOT / "reports" / f"soak-{stamp}"
    runs: list[Run] = []
    results: dict[str, RunResult] = {}
    for count in workers:
        for index in range(1, args.runs + 1):
            run, result = _one_run(folder, f"w{count}-{index:02d}", args.cell_set, count)
            runs.append(run)
            if result is not None:
                results[run.id] = result
            print(
                f"run {run.id}: exit {run.exit_code} in {run.seconds:.0f} s · "
                + (" · ".join(f"{v} {k}" for k, v in run.totals.items() if v) or run.problem),
                flush=True,
            )
    found = flakes(results)
    broken = sorted(
        {
            (r.test, r.cell)
            for run in results.values()
            for r in run.results
            if r.status.value == "failed"
        }
        - {(f.test, f.cell) for f in found}
    )
    summary: dict[str, Any] = {
        "cell_set": args.cell_set,
        "runs_per_worker_count": args.runs,
        "workers": workers,
        "runs": [asdict(r) for r in runs],
        "flakes": [asdict(f) for f in found],
        "runs_without_results": [r.id for r in runs if r.problem],
        "failed_in_every_run": [{"test": t, "cell": c} for t, c in broken],
    }
    out = ROOT / "reports" / f"soak-{stamp}.json"
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print()
    for flake in found:
        print(f"FLAKY {flake.test} on {flake.cell}:")
        for run_id, status in flake.statuses.items():
            error = flake.errors.get(run_id)
            print(f"  {run_id}: {status}" + (f" — {error.splitlines()[0]}" if error else ""))
    for test, cell in broken:
        print(f"FAILED IN EVERY RUN {test} on {cell}")
    total = len(runs)
    print(
        f"{len(found)} flaky result(s) in {total} runs ({args.runs} each with "
        f"{' and '.join(map(str, workers))} worker(s)); summary: {out}"
    )
    return 1 if found or broken or summary["runs_without_results"] else 0


if __name__ == "__main__":
    sys.exit(main())
