"""Reports built from a RunResult: results.json schema, JUnit, Markdown, HTML, history."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from compat_harness.report import write_reports
from compat_harness.report.history import compare
from compat_harness.results import CellRecord, ErrorInfo, RunResult, Status, TestResult

ENGINE = {
    "engine": "playwright",
    "kind": "playwright",
    "browser": "chromium",
    "version": "156",
    "limits": [],
}


def _run(run_id: str, statuses: dict[tuple[str, str], Status]) -> RunResult:
    cells = [
        CellRecord(
            "desk",
            {"client": "recommended", "provider": "recommended"},
            {"name": "Desktop"},
            "chromium",
            ENGINE,
        ),
        CellRecord(
            "droid",
            {"client": "supported", "provider": "not-recommended"},
            {"name": "Pixel"},
            "chromium",
            ENGINE,
        ),
        CellRecord(
            "fox",
            {"client": "supported", "provider": "supported"},
            {"name": "Desktop"},
            "firefox",
            None,
            status="not_run",
            reason="playwright: firefox missing",
            install="playwright install firefox",
        ),
    ]
    results = []
    for (test, cell), status in statuses.items():
        error = (
            ErrorInfo("boom", "AssertionError", step="Sign in")
            if status in (Status.FAILED, Status.FLAKY)
            else None
        )
        results.append(
            TestResult(
                test=test,
                journey="login_url",
                cell=cell,
                status=status,
                portal="provider",
                error=error,
                artifacts={"screenshot": ["artifacts/x/test-failed-1.png"]} if error else {},
            )
        )
    run = {
        "id": run_id,
        "started": f"2026-11-23T10:0{run_id[-1]}:00",
        "target": {"client_url": "http://c", "provider_url": "http://p"},
        "fail_on": ["recommended", "supported"],
        "duration_s": 1.0,
    }
    return RunResult(run=run, cells=cells, results=results)


STATUSES = {
    ("t.py::a[provider]", "desk"): Status.PASSED,
    ("t.py::a[provider]", "droid"): Status.FAILED,
    ("t.py::a[provider]", "fox"): Status.NOT_RUN,
    ("t.py::b[provider]", "desk"): Status.FLAKY,
    ("t.py::b[provider]", "droid"): Status.NOT_APPLICABLE,
}


def test_results_json_has_the_documented_schema(tmp_path: Path) -> None:
    paths = write_reports(_run("run-1", STATUSES), tmp_path / "run-1")
    data = json.loads(paths["results"].read_text())
    assert data["schema_version"] == 1
    assert {"id", "started", "target"} <= set(data["run"])
    assert {"id", "tier", "engine", "emulated"} <= set(data["cells"][0])
    assert set(data["results"][0]) >= {
        "test",
        "journey",
        "cell",
        "status",
        "duration_s",
        "error",
        "artifacts",
    }
    assert {r["status"] for r in data["results"]} == {
        "passed",
        "failed",
        "not_run",
        "flaky",
        "not_applicable",
    }
    assert RunResult.read(paths["results"]).to_json() == data
    assert (tmp_path / "latest").resolve() == (tmp_path / "run-1").resolve()


def test_failures_in_not_recommended_cells_do_not_gate() -> None:
    run = _run("run-1", STATUSES)
    assert run.gating_failures(("recommended", "supported")) == []
    assert len(run.gating_failures(("recommended", "supported", "not-recommended"))) == 1


def test_junit_has_a_suite_per_cell_and_marks_flaky_and_not_run(tmp_path: Path) -> None:
    paths = write_reports(_run("run-1", STATUSES), tmp_path / "run-1")
    root = ET.parse(paths["junit"]).getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"desk", "droid", "fox"}
    assert suites["droid"].get("failures") == "1"
    assert suites["fox"].find("testcase/skipped") is not None
    assert suites["desk"].find("testcase/flakyFailure") is not None
    assert root.get("tests") == "5" and root.get("failures") == "1"


def test_markdown_and_html_show_every_status_as_text(tmp_path: Path) -> None:
    paths = write_reports(_run("run-1", STATUSES), tmp_path / "run-1")
    md = paths["markdown"].read_text()
    assert "| `a[provider]` | ✅ passed | ❌ failed | ⏭️ not run |" in md
    assert (
        "❌ failed `t.py::a[provider]` on **droid** (not-recommended) at step *Sign in*: boom" in md
    )
    html = paths["html"].read_text()
    for label in ("passed", "failed", "flaky", "not run", "not applicable"):
        assert f"{label}</a>" in html
    assert "PASSED with warnings" in html
    assert "install: <code>playwright install firefox</code>" in html
    assert 'src="artifacts/x/test-failed-1.png"' in html
    assert "http" not in html.split("<body>")[0].replace("http-equiv", "")  # no external resources


def test_history_compares_with_the_previous_run(tmp_path: Path) -> None:
    before = dict(STATUSES)
    before[("t.py::a[provider]", "desk")] = Status.FAILED
    before[("t.py::a[provider]", "droid")] = Status.PASSED
    write_reports(_run("run-1", before), tmp_path / "run-1")
    current = _run("run-2", STATUSES)
    comparison = compare(current, RunResult.read(tmp_path / "run-1" / "results.json"))
    assert comparison.new_failures == [("t.py::a[provider]", "droid")]
    assert comparison.fixed == [("t.py::a[provider]", "desk")]
    html = write_reports(current, tmp_path / "run-2")["html"].read_text()
    assert "Since run run-1" in html and "1 new failure(s) · 1 fixed" in html
