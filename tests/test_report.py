"""Reports built from a RunResult: results.json schema, JUnit, Markdown, HTML, history."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from compat_harness.report import write_reports
from compat_harness.report.history import compare
from compat_harness.results import (
    CellRecord,
    ErrorInfo,
    RunResult,
    Status,
    TestResult,
    pair_from_test_id,
)

ENGINE = {
    "engine": "playwright",
    "kind": "playwright",
    "browser": "chromium",
    "version": "156",
    "limits": [],
}


def _run(
    run_id: str,
    statuses: dict[tuple[str, str], Status],
    allow_not_run: tuple[str, ...] = ("fox",),  # accepted on purpose unless a test says not
) -> RunResult:
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
            pair_from_test_id(
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
        )
    run = {
        "id": run_id,
        "started": f"2026-11-23T10:0{run_id[-1]}:00",
        "target": {"client_url": "http://c", "provider_url": "http://p"},
        "fail_on": ["recommended", "supported"],
        "duration_s": 1.0,
        "allow_not_run": list(allow_not_run),
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
    assert data["schema_version"] == 2
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


def test_results_written_before_the_cell_set_had_its_name_read_as_they_mean(
    tmp_path: Path,
) -> None:
    # Older results.json files (history, merged shards) name the run's cell set "profile".
    data = _run("run-1", STATUSES).to_json()
    data["run"]["profile"] = "quick"
    run = RunResult.from_json(data)
    assert run.run["cell_set"] == "quick" and "profile" not in run.run
    html = write_reports(run, tmp_path / "run-1")["html"].read_text(encoding="utf-8")
    assert "Cell set: <b>quick</b>" in html


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
        "❌ failed `t.py::a[provider]` on **droid** (not-recommended, warns only) at step *Sign in*: boom"
        in md
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


def test_quarantine_files_are_checked_and_entries_expire(tmp_path: Path) -> None:
    import datetime as dt

    import pytest

    from compat_harness.quarantine import QuarantineError, load_quarantine

    good = tmp_path / "q.yaml"
    good.write_text(
        "quarantine:\n"
        "  - journey: login_url\n    cells: [droid]\n    until: 2026-11-30\n    reason: QA-7\n"
        "  - test: 'b[*'\n    until: '2026-01-01'\n    reason: QA-8\n"
    )
    quarantine = load_quarantine(good)
    run = _run("run-1", STATUSES)
    quarantine.apply(run.results, dt.date(2026, 11, 23))
    marked = {
        (r.test.rsplit("::", 1)[-1], r.cell): r.quarantine for r in run.results if r.quarantine
    }
    assert set(marked) == {
        ("a[provider]", "droid"),
        ("b[provider]", "desk"),
        ("b[provider]", "droid"),
    }
    assert marked[("a[provider]", "droid")]["expired"] is False
    assert marked[("b[provider]", "desk")]["expired"] is True
    assert load_quarantine(tmp_path / "missing.yaml").entries == ()
    for text, message in (
        (
            "quarantine:\n  - journey: x\n    until: 2026-01-01\n",
            "q.yaml:2: no 'reason'. Fix: say why",
        ),
        (
            "quarantine:\n  - journey: x\n    test: y\n    until: 2026-01-01\n    reason: r\n",
            "exactly one of",
        ),
        ("quarantine:\n  - jorney: x\n", "q.yaml:2: unknown key(s) jorney"),
    ):
        good.write_text(text)
        with pytest.raises(QuarantineError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_quarantine(good)


def test_merge_refuses_overlapping_or_unrelated_runs() -> None:
    import pytest

    from compat_harness.report.merge import MergeError, merge_runs

    a = _run("a", {("t.py::a[provider]", "desk"): Status.PASSED})
    b = _run("b", {("t.py::a[provider]", "desk"): Status.FAILED})
    with pytest.raises(MergeError, match="in both a and b"):
        merge_runs([a, b], "m")
    b.run["cells"] = ["desk"]
    a.run["cells"] = ["desk", "droid"]
    with pytest.raises(MergeError, match="shards of one run share the matrix and cells"):
        merge_runs([a, b], "m")


def test_markdown_leads_with_the_verdict_and_the_change_since_last_run(tmp_path: Path) -> None:
    before = dict(STATUSES)
    before[("t.py::a[provider]", "droid")] = Status.PASSED
    write_reports(_run("run-1", before), tmp_path / "run-1")
    md = write_reports(_run("run-2", STATUSES), tmp_path / "run-2")["markdown"].read_text()
    assert md.startswith("## ⚠️ Compatibility: PASSED with warnings")
    assert "Since run `run-1`: 1 new failure(s) · 0 fixed · 0 still failing" in md
    assert len(md.splitlines()) < 40


def test_paired_journeys_get_their_verdict_in_every_report(tmp_path: Path) -> None:
    pairs = {
        ("t.py::p[incognito]", "desk"): Status.PASSED,
        ("t.py::p[stored]", "desk"): Status.FAILED,
        ("t.py::p[incognito]", "droid"): Status.PASSED,
        ("t.py::p[stored]", "droid"): Status.PASSED,
    }
    paths = write_reports(_run("run-1", pairs), tmp_path / "run-1")
    data = json.loads(paths["results"].read_text())
    verdicts = {(p["test"], p["cell"]): p["verdict"] for p in data["pairs"]}
    assert verdicts == {
        ("t.py::p", "desk"): "fails only with stored data: clear the cache or site data",
        ("t.py::p", "droid"): "passes in both",
    }
    assert RunResult.read(paths["results"]).pair_verdicts() == data["pairs"]
    assert "1 of 2 pair(s) pass both ways" in paths["html"].read_text()
    assert all(p["profile"] == "stored" for p in data["pairs"])
    assert "stored data, signed out failed" in paths["html"].read_text()
    assert (
        "`p` on **desk** (stored data, signed out): fails only with stored data"
        in paths["markdown"].read_text()
    )


def test_a_gating_cell_not_run_fails_every_report_unless_accepted(tmp_path: Path) -> None:
    from compat_harness.report.text import terminal_summary

    run = _run("run-1", STATUSES, allow_not_run=())
    paths = write_reports(run, tmp_path / "run-1")
    verdict = "FAILED — gating cell(s) not run: fox"
    assert run.verdict() == (
        "failed",
        verdict + " (not run is not passed; --allow-not-run CELL accepts it)",
    )
    assert paths["markdown"].read_text().startswith(f"## ❌ Compatibility: {verdict}")
    assert "`--allow-not-run fox`" in paths["markdown"].read_text()
    assert verdict in paths["html"].read_text()
    junit = ET.parse(paths["junit"]).getroot()
    fox = next(s for s in junit.iter("testsuite") if s.get("name") == "fox")
    assert fox.get("failures") == "1" and junit.get("failures") == "2"
    failure = fox.find("testcase/failure")
    assert failure is not None and failure.get("message", "").startswith("gating cell fox did not")
    lines = terminal_summary(run, paths, run.fail_on)
    assert any(line.startswith("fox: NOT RUN (its tier gates the run: exit 13)") for line in lines)
    # A not-recommended tier does not gate: the same cell there only warns.
    lenient = _run("run-2", STATUSES, allow_not_run=())
    lenient.cells[2].tier = {"client": "not-recommended", "provider": "not-recommended"}
    assert lenient.verdict()[0] == "warn" and not lenient.gating_not_run()
