"""Benchmark: the harness against a bare Playwright/Selenium script doing the same navigations, in
the same run, on the default cell set against the reference app; and, side by side, the harness
without its page sentinels, with its version check, and the same journeys through a Selenium Grid
started here.

    python -m bench.run [--repeat N] [--no-grid]

Prints wall time of each, the ratios harness/bare, sentinels on/off and grid/local (and grid/local
of the bare baseline, which is what the grid itself costs), the seconds the version check adds, the
speed-up from 1 to 2 workers, CPU time and peak memory of each run's whole process tree (browsers,
drivers, the app included; CPU also by process, and how many cores it kept busy on average), the
machine's CPU time meanwhile (run it on a quiet machine), the most 2 workers could give at that CPU
use, how much more memory-bound work two processes get done here than one, and time per test per
cell; writes the same as JSON to reports/bench-<time>.json. Targets: harness/bare
<= 1.3, sentinels on/off <= 1.05, grid/local <= 1.2, the version check <= 10 s, and two workers at
least 0.9 of the most the machine allows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from compat_harness.versions.check import TEST_ID

ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")
TARGET_RATIO, TARGET_SENTINELS, TARGET_GRID, TARGET_OF_CEILING = 1.3, 1.05, 1.2, 0.9
# Seconds the version check (once per run, at its end) may add to the default cell set (issue #15).
TARGET_VERSIONS_S = 10.0


TICK = os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[tuple[int, str, int, int]]:
    """(pid, name, CPU ticks, resident bytes) of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    stats: dict[int, tuple[str, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
        stats[int(entry)] = (name, int(fields[11]) + int(fields[12]))  # utime + stime
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            rss = 0
            with contextlib.suppress(OSError):
                rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
            found.append((pid, *stats[pid], rss))
        todo.extend(children.get(pid, []))
    return found


def _machine_cpu() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / TICK  # all but idle and iowait


def _measure(
    cmd: list[str], env: dict[str, str]
) -> tuple[float, int, dict[str, float], float, subprocess.CompletedProcess[str]]:
    """Wall time, peak memory and CPU seconds by process name of a command's process tree, and
    CPU seconds of the whole machine meanwhile.

    The tree is sampled every 0.1 s, so a process that lives shorter than that, or that leaves the
    tree (WebKit's helper processes outlive their browser), is missed: children's times are only
    added to a parent that waits for them. The machine's count misses nothing but counts anything
    else that runs, so the benchmark wants a quiet machine.
    """
    machine = _machine_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = [0]
    cpu: dict[int, tuple[str, int]] = {}  # pid -> (name, last CPU ticks seen)

    def sample() -> None:
        while proc.poll() is None:
            tree = _tree(proc.pid)
            peak[0] = max(peak[0], sum(rss for *_, rss in tree))
            cpu.update({pid: (name, ticks) for pid, name, ticks, _ in tree})
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    machine = _machine_cpu() - machine
    sampler.join()
    by_name: dict[str, float] = {}
    for name, ticks in cpu.values():
        by_name[name] = by_name.get(name, 0.0) + ticks / TICK
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    return wall, peak[0], by_name, machine, done


def _touch_memory(rounds: int) -> float:
    """Seconds to write one byte in each page of 64 MiB, ``rounds`` times: bound by memory, not
    by the core (one write a page, so the caches hardly help)."""
    started = time.perf_counter()
    block = bytearray(64 << 20)
    for _ in range(rounds):
        for i in range(0, len(block), 4096):
            block[i] = (block[i] + 1) & 255
    return time.perf_counter() - started


def _two_process_throughput(rounds: int = 60) -> float:
    """How much more memory-bound work two processes at once get done than one, here (2.0 on
    two cores that share nothing; measured before the runs, on the quiet machine)."""
    import multiprocessing

    one = min(_touch_memory(rounds) for _ in range(3))
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            pool.map(_touch_memory, [rounds, rounds])
            best = min(best, time.perf_counter() - started)
    return 2 * one / best


def _usage(wall: float, peak: int, cpu: dict[str, float], machine: float) -> dict[str, Any]:
    total = sum(cpu.values())
    top = sorted(cpu.items(), key=lambda item: -item[1])[:6]
    return {
        "wall_s": wall,
        "peak_rss_mb": peak / 2**20,
        "cpu_s": round(total, 1),
        "cores_busy": round(total / wall, 2),
        "machine_cpu_s": round(machine, 1),
        "machine_cores_busy": round(machine / wall, 2),
        "cpu_by_process_s": {name: round(seconds, 1) for name, seconds in top},
    }


def _harness(
    workers: int, env: dict[str, str], report_dir: Path, name: str, extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    run_id = f"bench-{name}"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "bench/suite",
        "-p",
        "no:cacheprovider",
        "-q",
        "--cell-set=default",
        f"--report-dir={report_dir}",
        f"--run-id={run_id}",
        "--versions=off",  # once per run, not per test: not what this measures
        *extra,
    ]
    if workers > 1:
        cmd += ["-n", str(workers)]
    wall, peak, cpu, machine, proc = _measure(cmd, env)
    if proc.returncode != 0:
        raise SystemExit(
            f"harness run failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}"
        )
    results = json.loads((report_dir / run_id / "results.json").read_text())
    per_cell: dict[str, list[float]] = {}
    for r in results["results"]:
        if r["test"] != TEST_ID:
            per_cell.setdefault(r["cell"], []).append(r["duration_s"])
    rows = [r for r in results["results"] if r["test"] == TEST_ID]
    return {
        **_usage(wall, peak, cpu, machine),
        "per_test_s": _mean_per_cell(per_cell),
        "tests": len(results["results"]) - len(rows),
        # One lint for every cell: each row carries that run's time.
        "versions_check_s": max((r["duration_s"] for r in rows), default=None),
    }


def _bare(env: dict[str, str], matrix: Path | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.bare", *([str(matrix)] if matrix else [])]
    wall, peak, cpu, machine, proc = _measure(cmd, env)
    if proc.returncode != 0:
        raise SystemExit(f"bare script failed:\n{proc.stderr[-3000:]}")
    per_cell: dict[str, list[float]] = json.loads(proc.stdout)
    return {
        **_usage(wall, peak, cpu, machine),
        "per_test_s": _mean_per_cell(per_cell),
        "tests": sum(len(v) for v in per_cell.values()),
    }


@contextlib.contextmanager
def _grid(wanted: bool, folder: Path) -> Any:
    """A Selenium Grid on loopback and a matrix of the default cells through it (Chromium cells by
    Playwright over the grid's CDP, the iPhone by WebKitGTK behind a relay); None when not wanted
    or not installed (said so)."""
    if not wanted:
        yield None
        return
    from compat_harness.engines.selenium_grid import start_local_grid
    from compat_harness.engines.servers import ServerStartError, chrome_options
    from compat_harness.engines.webkitgtk import find_minibrowser

    try:
        # A test's session or two and the next test's spare (the local WebKit cell has one too).
        grid = start_local_grid(chromium_slots=2, webkit_slots=3)
    except ServerStartError as exc:
        print(f"no grid run: {exc}")
        yield None
        return
    chrome = json.dumps({"goog:chromeOptions": chrome_options()})
    matrix = folder / "grid-matrix.yaml"
    matrix.write_text(
        f"""
cells:
  chrome-desktop: {{device: Desktop 1440, browser: chromium, engines: [playwright-grid], tier: recommended, remote: {{url: "{grid.url}", capabilities: {chrome}}}}}
  ios-webkit: {{device: iPhone 14, browser: webkit, engines: [selenium-grid], tier: supported, remote: {{spare: true, url: "{grid.url}", capabilities: {{browserName: MiniBrowser, "webkitgtk:browserOptions": {{binary: "{find_minibrowser()}"}}}}}}}}
  android-chrome: {{device: Pixel 7, browser: chromium, engines: [playwright-grid], tier: supported, remote: {{url: "{grid.url}", capabilities: {chrome}}}}}
cell_sets:
  default: [chrome-desktop, ios-webkit, android-chrome]
"""
    )
    try:
        yield matrix
    finally:
        grid.stop()


def _mean_per_cell(per_cell: dict[str, list[float]]) -> dict[str, float]:
    return {cell: round(statistics.mean(times), 3) for cell, times in per_cell.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="measure each side N times and keep the fastest"
    )
    parser.add_argument("--no-grid", action="store_true", help="leave out the Selenium Grid run")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPAT_")}
    env["PYTHONPATH"] = str(ROOT) + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    two_processes = _two_process_throughput()
    with tempfile.TemporaryDirectory() as tmp, _grid(not args.no_grid, Path(tmp)) as grid:
        runs: dict[str, list[dict[str, Any]]] = {
            "bare": [],
            "harness_1_worker": [],
            "no_sentinels_1_worker": [],
            "versions_1_worker": [],
            "harness_2_workers": [],
        }
        if grid:
            runs["grid_1_worker"] = []
            runs["bare_grid"] = []
        for _ in range(args.repeat):
            # Interleaved, so a slow moment of the machine does not land on one side only.
            runs["bare"].append(_bare(env))
            runs["harness_1_worker"].append(_harness(1, env, Path(tmp), "1w"))
            runs["no_sentinels_1_worker"].append(
                _harness(1, env, Path(tmp), "1w-off", ("--sentinels=off",))
            )
            runs["versions_1_worker"].append(
                _harness(1, env, Path(tmp), "1w-versions", ("--versions=on",))
            )
            runs["harness_2_workers"].append(_harness(2, env, Path(tmp), "2w"))
            if grid:
                runs["grid_1_worker"].append(
                    _harness(1, env, Path(tmp), "grid", (f"--matrix={grid}",))
                )
                runs["bare_grid"].append(_bare(env, grid))
    best = {name: min(measures, key=lambda m: m["wall_s"]) for name, measures in runs.items()}
    one = best["harness_1_worker"]["wall_s"]
    ratio = one / best["bare"]["wall_s"]
    sentinels = one / best["no_sentinels_1_worker"]["wall_s"]
    grid_ratio = best["grid_1_worker"]["wall_s"] / one if "grid_1_worker" in best else None
    # What the grid itself costs: the bare baseline through the same grid over the bare one.
    bare_grid = (
        best["bare_grid"]["wall_s"] / best["bare"]["wall_s"] if "bare_grid" in best else None
    )
    speedup = one / best["harness_2_workers"]["wall_s"]
    versions_added = best["versions_1_worker"]["wall_s"] - one
    cpus = os.cpu_count() or 1
    # Two workers cannot beat twice one worker's pace, nor use more cores than there are: if one
    # worker keeps u cores busy, two can be at most cpus / u times faster (same CPU work per test).
    busy_1 = best["harness_1_worker"]["machine_cores_busy"]
    ceiling = min(2.0, cpus / busy_1) if busy_1 else 2.0
    meets = (
        ratio <= TARGET_RATIO
        and sentinels <= TARGET_SENTINELS
        and (grid_ratio is None or grid_ratio <= TARGET_GRID)
        and speedup >= TARGET_OF_CEILING * ceiling
        and versions_added <= TARGET_VERSIONS_S
    )
    report = {
        "machine": {
            "cpus": cpus,
            "python": sys.version.split()[0],
            "two_process_memory_throughput": round(two_processes, 2),
        },
        "repeat": args.repeat,
        "runs": best,
        "ratio_harness_over_bare": round(ratio, 3),
        "ratio_sentinels_on_over_off": round(sentinels, 3),
        "ratio_grid_over_local": round(grid_ratio, 3) if grid_ratio else None,
        "ratio_bare_grid_over_bare": round(bare_grid, 3) if bare_grid else None,
        "versions_check_added_s": round(versions_added, 1),
        "speedup_2_workers": round(speedup, 3),
        "speedup_ceiling_on_this_machine": round(ceiling, 3),
        "speedup_of_ceiling": round(speedup / ceiling, 3),
        "targets": {
            "ratio_at_most": TARGET_RATIO,
            "sentinels_ratio_at_most": TARGET_SENTINELS,
            "grid_ratio_at_most": TARGET_GRID,
            "speedup_of_ceiling_at_least": TARGET_OF_CEILING,
            "versions_check_added_s_at_most": TARGET_VERSIONS_S,
        },
        "meets_targets": meets,
    }
    print("CPU and cores: the run's process tree / the whole machine meanwhile")
    print(
        f"{'':<20}{'wall':>9}{'CPU':>15}{'cores':>12}{'peak RSS':>11}{'tests':>7}"
        "   time per test per cell"
    )
    for name, m in best.items():
        cells = ", ".join(f"{c} {t:.2f}s" for c, t in m["per_test_s"].items())
        cpu = f"{m['cpu_s']:.1f}/{m['machine_cpu_s']:.1f}s"
        cores = f"{m['cores_busy']:.2f}/{m['machine_cores_busy']:.2f}"
        print(
            f"{name:<20}{m['wall_s']:>8.1f}s{cpu:>15}{cores:>12}"
            f"{m['peak_rss_mb']:>9.0f}MB{m['tests']:>7}   {cells}"
        )
    for name, m in best.items():
        where = ", ".join(f"{p} {s:.1f}s" for p, s in m["cpu_by_process_s"].items())
        print(f"CPU of {name}: {where}")
    print(f"ratio harness/bare: {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"ratio sentinels on/off: {sentinels:.3f} (target <= {TARGET_SENTINELS})")
    if grid_ratio is not None:
        print(f"ratio grid/local: {grid_ratio:.2f} (target <= {TARGET_GRID})")
    if bare_grid is not None:
        print(f"ratio grid/local of the bare baseline: {bare_grid:.2f} (the grid's own cost)")
    print(
        f"version check: adds {versions_added:.1f}s to the run (its lint took"
        f" {best['versions_1_worker']['versions_check_s']}s; target <= {TARGET_VERSIONS_S:.0f}s)"
    )
    print(
        f"speed-up 1 -> 2 workers: {speedup:.2f}x, {speedup / ceiling:.2f} of the most 2 workers"
        f" could give here, {ceiling:.2f}x (one worker keeps {busy_1:.2f} of {cpus} cores busy;"
        f" target >= {TARGET_OF_CEILING} of it)"
    )
    print(
        f"this machine: two processes at once do {two_processes:.2f}x the memory-bound work of one"
        " (2.00 on cores that share no cache or memory bandwidth; information, not in the ceiling"
        " above)"
    )
    out = ROOT / "reports" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written: {out.relative_to(ROOT)}")
    return 0 if report["meets_targets"] else 1


if __name__ == "__main__":
    sys.exit(main())
