"""Merge shard runs (``--shard I/N``) into one run: one results.json and every report, as an
unsharded run of the same matrix would have written them, with the shards' artifacts and Allure
results copied in so every link still resolves."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from compat_harness.report import write_reports
from compat_harness.results import CellRecord, RunResult, TestResult
from compat_harness.versions.check import TEST_ID as VERSIONS_TEST
from compat_harness.versions.check import combine

# Written anew for the merged run (they describe the whole run, not one shard).
_RUN_LEVEL_ALLURE_FILES = {"environment.properties", "categories.json", "executor.json"}


class MergeError(ValueError):
    """The folders do not hold shards of one run; the message says which and why."""


def _started(run: RunResult, key: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(run.run.get(key)))
    except ValueError:
        return None


def _pick_cell(records: list[CellRecord]) -> CellRecord:
    """The record of a shard that ran the cell; else one that says why it could not."""
    ran = [c for c in records if c.engine]
    if ran:
        best = ran[0]
        limits = list(dict.fromkeys(x for c in ran for x in (c.engine or {}).get("limits", [])))
        if best.engine is not None:
            best.engine = {**best.engine, "limits": limits}
        return best
    return next((c for c in records if c.reason), records[0])


def merge_runs(shards: list[RunResult], run_id: str) -> RunResult:
    """One RunResult from shard RunResults (any order)."""
    if not shards:
        raise MergeError("nothing to merge: give the shards' run folders (or results.json files)")
    first = shards[0]
    cells = list(first.run.get("cells") or [c.id for c in first.cells])
    for shard in shards[1:]:
        other = list(shard.run.get("cells") or [c.id for c in shard.cells])
        if other != cells:
            raise MergeError(
                f"run {shard.run.get('id')} ran cells {other}, run {first.run.get('id')} ran "
                f"{cells}: shards of one run share the matrix and cells"
            )
    seen: dict[tuple[str, str], str] = {}
    results = []
    version_rows: dict[str, list[TestResult]] = {}
    for shard in shards:
        for result in shard.results:
            key = (result.test, result.cell)
            if result.test == VERSIONS_TEST:  # every shard checks what it collected
                version_rows.setdefault(result.cell, []).append(result)
                continue
            if key in seen:
                raise MergeError(
                    f"{result.test} on {result.cell} is in both {seen[key]} and {shard.run.get('id')}:"
                    " the same shard twice, or runs that are not shards of one run"
                )
            seen[key] = str(shard.run.get("id"))
            results.append(result)
    results += [combine(rows) for rows in version_rows.values()]
    results.sort(key=lambda r: r.order)
    records: dict[str, list[CellRecord]] = {}
    for shard in shards:
        for cell in shard.cells:
            records.setdefault(cell.id, []).append(cell)
    merged_cells = [_pick_cell(records[c]) for c in cells if c in records]

    starts = [s for s in (_started(r, "started") for r in shards) if s]
    ends = [e for e in (_started(r, "finished") for r in shards) if e]
    shard_info: list[dict[str, Any]] = []
    totals: set[int | None] = set()
    for shard in shards:
        info = shard.run.get("shard") or {}
        totals.add(info.get("total"))
        shard_info.append(
            {
                "id": shard.run.get("id"),
                "index": info.get("index"),
                "total": info.get("total"),
                "duration_s": shard.run.get("duration_s"),
            }
        )
    shard_info.sort(key=lambda s: (s["index"] or 0, str(s["id"])))
    missing: list[str] = []
    total = next(iter(totals)) if len(totals) == 1 else None
    if total is not None:
        have = {s["index"] for s in shard_info}
        missing = [f"{i}/{total}" for i in range(1, total + 1) if i not in have]
    run = dict(first.run)
    run.update(
        id=run_id,
        started=min(starts).isoformat() if starts else run.get("started"),
        finished=max(ends).isoformat() if ends else run.get("finished"),
        duration_s=round((max(ends) - min(starts)).total_seconds(), 2)
        if starts and ends
        else run.get("duration_s"),
        interrupted=any(s.run.get("interrupted") for s in shards),
        target=next((s.run["target"] for s in shards if s.run.get("target")), None),
        shard=None,
        shards=shard_info,
        missing_shards=missing,
        command="compat merge " + " ".join(str(s["id"]) for s in shard_info),
    )
    return RunResult(run=run, cells=merged_cells, results=results)


def _results_path(path: Path) -> Path:
    return path if path.is_file() else path / "results.json"


def merge_dirs(sources: list[Path], out_dir: Path) -> tuple[RunResult, dict[str, Path]]:
    """Merge shard run folders into ``out_dir`` (its name is the merged run's id)."""
    shards = []
    for source in sources:
        path = _results_path(source)
        try:
            shards.append(RunResult.read(path))
        except FileNotFoundError:
            raise MergeError(f"{source}: no results.json (is it a run folder?)") from None
        except (ValueError, KeyError) as exc:
            raise MergeError(f"{path}: {exc}") from None
    run = merge_runs(shards, out_dir.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    allure = out_dir / "allure-results"
    for source in sources:
        folder = _results_path(source).parent
        if folder.resolve() == out_dir.resolve():
            continue
        if (folder / "artifacts").is_dir():
            shutil.copytree(folder / "artifacts", out_dir / "artifacts", dirs_exist_ok=True)
        if (folder / "allure-results").is_dir():
            allure.mkdir(exist_ok=True)
            for item in (folder / "allure-results").iterdir():
                if item.is_file() and item.name not in _RUN_LEVEL_ALLURE_FILES:
                    shutil.copy2(item, allure / item.name)
    return run, write_reports(run, out_dir)
