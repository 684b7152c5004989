"""Earlier runs in the same reports folder: what changed since the previous run, and the pass
rate of each cell over time."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from compat_harness.results import RunResult, Status


@dataclass
class Comparison:
    previous_id: str
    new_failures: list[tuple[str, str]] = field(default_factory=list)
    fixed: list[tuple[str, str]] = field(default_factory=list)
    still_failing: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class TrendPoint:
    run_id: str
    started: str
    pass_rate: dict[str, float | None]  # cell -> passed / ran, None when nothing ran


def earlier_runs(root: Path, current_id: str, limit: int = 20) -> list[RunResult]:
    """Runs in ``root`` other than the current one, newest first (unreadable ones and single
    shards skipped)."""
    runs = []
    for path in root.glob("*/results.json"):
        if path.parent.name == current_id or path.parent.is_symlink():
            continue
        try:
            run = RunResult.read(path)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not run.run.get("shard"):  # a shard is part of a run, not a run to compare with
            runs.append(run)
    runs.sort(key=lambda r: str(r.run.get("started", "")), reverse=True)
    return runs[:limit]


def compare(current: RunResult, previous: RunResult) -> Comparison:
    before = previous.grid()
    comparison = Comparison(previous_id=str(previous.run["id"]))
    for key, result in current.grid().items():
        was = before.get(key)
        failing_now = result.status is Status.FAILED
        failing_then = was is not None and was.status is Status.FAILED
        if failing_now and failing_then:
            comparison.still_failing.append(key)
        elif failing_now:
            comparison.new_failures.append(key)
        elif failing_then and result.status in (Status.PASSED, Status.FLAKY):
            comparison.fixed.append(key)
    return comparison


def pass_rates(run: RunResult) -> dict[str, float | None]:
    rates: dict[str, float | None] = {}
    for cell in run.cells:
        ran = [
            r
            for r in run.results
            if r.cell == cell.id and r.status in (Status.PASSED, Status.FAILED, Status.FLAKY)
        ]
        rates[cell.id] = (
            round(sum(r.status is Status.PASSED for r in ran) / len(ran), 3) if ran else None
        )
    return rates


def trend(current: RunResult, earlier: list[RunResult]) -> list[TrendPoint]:
    """Oldest first, ending with the current run."""
    runs = [*reversed(earlier), current]
    return [
        TrendPoint(str(r.run["id"]), str(r.run.get("started", "")), pass_rates(r)) for r in runs
    ]
