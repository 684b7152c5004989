"""Reports built from one RunResult: results.json, junit.xml, summary.md and report.html in
``reports/<run-id>/`` (plus Allure's environment and categories when its results are there), with
``reports/latest`` pointing at the newest run."""

from __future__ import annotations

import os
from pathlib import Path

from compat_harness.report.allure import write_allure_metadata, write_allure_version_results
from compat_harness.report.html import write_html
from compat_harness.report.junit import write_junit
from compat_harness.report.markdown import write_markdown
from compat_harness.results import RunResult


def write_reports(run: RunResult, run_dir: Path, allure_dir: Path | None = None) -> dict[str, Path]:
    """Every report of the run; ``allure_dir`` defaults to ``<run>/allure-results`` if present."""
    run_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": run_dir / "results.json",
        "junit": run_dir / "junit.xml",
        "markdown": run_dir / "summary.md",
        "html": run_dir / "report.html",
    }
    run.write(paths["results"])
    write_junit(run, paths["junit"])
    write_markdown(run, paths["markdown"], history_root=run_dir.parent)
    write_html(run, paths["html"], history_root=run_dir.parent)
    allure_dir = allure_dir or run_dir / "allure-results"
    if allure_dir.is_dir():
        write_allure_metadata(run, allure_dir)
        write_allure_version_results(run, allure_dir)
        paths["allure"] = allure_dir
    _point_latest(run_dir)
    return paths


def _point_latest(run_dir: Path) -> None:
    latest = run_dir.parent / "latest"
    tmp = run_dir.parent / f".latest-{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(run_dir.name, target_is_directory=True)
        os.replace(tmp, latest)  # atomic: readers never see a missing link
    except OSError:  # filesystems without symlinks: a file naming the run instead
        (run_dir.parent / "LATEST").write_text(run_dir.name + "\n")


__all__ = ["write_reports"]
