"""Triage and page findings in every report built from results.json: the model round trip and
merge, the Markdown summary, JUnit XML (parsed) and Allure results (JSON). The HTML card is
checked in a browser in test_report_html.py."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from compat_harness.report import write_reports
from compat_harness.report.allure import allure3_config, categories_json
from compat_harness.report.findings import describe
from compat_harness.report.merge import merge_runs
from compat_harness.results import ErrorInfo, Finding, RunResult, Status, TestResult
from compat_harness.triage import Category
from tests.support.runs import DEFAULT, findings_run

TEST = "suites/test_dashboard.py::test_upcoming[client]"
WEBKIT_REASON = (
    "fails on ios-webkit, the only WebKit cell here; passes on chrome-desktop and android-chrome"
)


def test_findings_and_the_sentinel_round_trip_and_old_files_still_load(tmp_path: Path) -> None:
    run = findings_run()
    assert run.results[1].error is not None
    run.results[1].error.sentinel = "page-error"
    data = run.to_json()
    again = RunResult.from_json(json.loads(json.dumps(data)))
    assert again.to_json() == data
    assert again.results[1].findings == run.results[1].findings
    assert again.results[1].error and again.results[1].error.sentinel == "page-error"
    # A results.json written before findings and sentinels existed.
    old = json.loads(json.dumps(data))
    old.pop("triage")
    for result in old["results"]:
        result.pop("findings")
        if result["error"]:
            result["error"].pop("sentinel")
    loaded = RunResult.from_json(old)
    assert loaded.results[1].findings == [] and loaded.results[1].error
    assert loaded.results[1].error.sentinel is None


def test_a_merge_keeps_the_findings_and_triages_across_the_shards() -> None:
    run = findings_run()
    shards = []
    for index, results in enumerate((run.results[:1], run.results[1:]), start=1):
        shard = RunResult(
            {**run.run, "id": f"s{index}", "shard": {"index": index, "total": 2}},
            run.cells,
            results,
        )
        shards.append(RunResult.from_json(shard.to_json()))
    # A shard alone sees one cell fail and one pass: it cannot see the run's pattern...
    merged = merge_runs(shards, "m")
    assert merged.results[1].findings == run.results[1].findings
    # ...the merged run can.
    assert merged.triage()[(TEST, "ios-webkit")].category is Category.WEBKIT


def test_markdown_gives_the_triage_and_lists_the_findings_under_the_failure(
    tmp_path: Path,
) -> None:
    run = findings_run()
    # Two more tests: one broken the same way (WebKit only), one broken on every cell.
    for index, (test, failing) in enumerate(
        (("t.py::test_book", {"ios-webkit"}), ("t.py::test_cancel", set(DEFAULT)))
    ):
        for cell in DEFAULT:
            status = Status.FAILED if cell in failing else Status.PASSED
            error = ErrorInfo("boom") if cell in failing else None
            run.results.append(TestResult(test, "j", cell, status, error=error, order=10 + index))
    md = write_reports(run, tmp_path / "r1")["markdown"].read_text()
    section = md.split("### Triage across cells\n\n", 1)[1].split("\n\n", 1)[0]
    # One line per pattern, naming its tests.
    assert section.splitlines() == [
        f"- **Only on WebKit cells** — {WEBKIT_REASON}: `test_upcoming[client]`, `test_book`",
        "- **Product bug: fails on every cell** — fails on every cell that ran it (chrome-desktop,"
        " ios-webkit and android-chrome): `test_cancel`",
    ]
    failure = next(line for line in md.splitlines() if line.startswith("- ❌ failed"))
    assert failure.endswith("expected 2 upcoming sessions, saw 0 — *Only on WebKit cells*")
    under = md.split(failure, 1)[1].splitlines()[1:4]
    assert under == [
        "  - failed request at Sign in: POST /login answered 401 (POST 401 "
        "http://127.0.0.1:5001/login) [allowlisted until 2027-01-31: a wrong password first]",
        "  - page error at Open the dashboard › Read the upcoming sessions: TypeError: "
        "sessions.at is not a function (http://127.0.0.1:5001/static/dashboard.js:12:7) on "
        "http://127.0.0.1:5001/dashboard",
        "  - layout: button 'Book session' is covered (covered: button \"Book session\", covered "
        "by nav.bottom) on http://127.0.0.1:5001/dashboard",
    ]


def test_junit_carries_the_triage_as_properties_and_the_findings_in_the_failure(
    tmp_path: Path,
) -> None:
    root = ET.parse(write_reports(findings_run(), tmp_path / "r1")["junit"]).getroot()
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    failed = cases[("dashboard.ios-webkit", TEST)]
    props = {p.get("name"): p.get("value") for p in failed.findall("properties/property")}
    assert props == {
        "triage": "webkit-only",
        "triage.label": "Only on WebKit cells",
        "triage.reason": WEBKIT_REASON,
    }
    text = failed.findtext("failure") or ""
    assert text.startswith(
        "[tier supported] step: Open the dashboard › Read the upcoming sessions\n"
        f"[triage: Only on WebKit cells] {WEBKIT_REASON}\n"
    )
    assert (
        "- page error at Open the dashboard › Read the upcoming sessions: TypeError: sessions.at "
        "is not a function (http://127.0.0.1:5001/static/dashboard.js:12:7)"
    ) in text
    assert "\n    render@http://127.0.0.1:5001/static/dashboard.js:12:7\n" in text  # the stack
    # Passed results carry no triage.
    assert cases[("dashboard.chrome-desktop", TEST)].find("properties") is None


def _allure_result(uuid: str, cell: str, status: str) -> dict[str, Any]:
    step = {"name": "Read the upcoming sessions", "status": status, "steps": []}
    return {
        "uuid": uuid,
        "name": f"test_upcoming[{cell}-client]",
        "status": status,
        "statusDetails": {"message": "boom", "trace": "trace\n\ncompat category: product"},
        "labels": [
            {"name": "suite", "value": "dashboard"},
            {"name": "cell", "value": cell},
            {"name": "compat_test", "value": TEST},
            {"name": "compat_category", "value": "product"},
        ],
        "steps": [
            {"name": "Sign in", "status": "passed"},
            {"name": "Open the dashboard", "status": status, "steps": [step]},
        ],
        "attachments": [],
    }


def test_allure_results_get_the_triage_category_and_the_findings_attached(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "r1"
    allure = run_dir / "allure-results"
    allure.mkdir(parents=True)
    for uuid, cell, status in (("u1", "ios-webkit", "failed"), ("u2", "chrome-desktop", "passed")):
        (allure / f"{uuid}-result.json").write_text(json.dumps(_allure_result(uuid, cell, status)))
    write_reports(findings_run(), run_dir)
    write_reports(findings_run(), run_dir)  # a merge writes them again: nothing doubles
    failed = json.loads((allure / "u1-result.json").read_text())
    labels = [(x["name"], x["value"]) for x in failed["labels"]]
    assert labels.count(("compat_category", "webkit-only")) == 1
    assert not any(v == "product" for _, v in labels)
    trace = failed["statusDetails"]["trace"]
    assert trace == (
        "trace\n\ncompat category: webkit-only\n"
        f"compat triage: Only on WebKit cells — {WEBKIT_REASON}\n"
    )
    # Every finding on the result; the step's own beside that step.
    (whole,) = failed["attachments"]
    assert whole["name"] == "seen on the page (3)" and whole["type"] == "text/plain"
    assert (allure / whole["source"]).read_text().count("\n- ") == 2
    step = failed["steps"][1]["steps"][0]
    (own,) = step["attachments"]
    text = (allure / own["source"]).read_text()
    assert text.startswith("- page error at Open the dashboard › Read the upcoming sessions")
    assert "POST" not in text
    assert failed["steps"][0].get("attachments") == [
        {
            "name": "seen on the page (1)",
            "source": "u1-findings-0-attachment.txt",
            "type": "text/plain",
        }
    ]
    # The passed result is left as it was.
    passed = json.loads((allure / "u2-result.json").read_text())
    assert passed == _allure_result("u2", "chrome-desktop", "passed")

    # Allure 2 matches the category on the trace (the whole trace, as Java's matches()),
    # Allure 3 on the label; the first rule that matches names the category.
    rules = json.loads((allure / "categories.json").read_text())
    assert rules == categories_json()
    matching = [
        r["name"] for r in rules if "traceRegex" in r and re.fullmatch(r["traceRegex"], trace)
    ]
    assert matching == ["Only on WebKit cells"]
    names = [r["name"] for r in rules]
    assert names[0] == "Product bug: fails on every cell"
    assert {c.label for c in Category} <= set(names)
    config = allure3_config(findings_run(), run_dir / "allure-report")
    webkit = next(r for r in config["categories"]["rules"] if r["name"] == "Only on WebKit cells")
    assert webkit["matchers"]["labels"] == {"compat_category": "^webkit-only$"}


@pytest.mark.parametrize(
    ("finding", "line"),
    [
        (
            Finding(
                "failed-request",
                "the API did not answer",
                detail={
                    "method": "GET",
                    "url": "http://127.0.0.1:5001/api/slots",
                    "failure": "net::ERR_CONNECTION_REFUSED",
                },
            ),
            "failed request: the API did not answer (GET net::ERR_CONNECTION_REFUSED "
            "http://127.0.0.1:5001/api/slots)",
        ),
        (
            Finding(
                "stuck-loading",
                "the schedule is still loading",
                step="Open Schedule",
                detail={"marker": "aria-busy=true on main", "seconds": 5.0},
            ),
            "page left loading at Open Schedule: the schedule is still loading "
            "(aria-busy=true on main still shown after 5.0 s)",
        ),
        (
            Finding(
                "layout",
                "Book session is cut off",
                detail={
                    "check": "clipped",
                    "element": 'button "Book session"',
                    "box": {"x": 350, "y": 800.5, "width": 120, "height": 40},
                },
            ),
            'layout: Book session is cut off (clipped: button "Book session" at 350,800.5 '
            "(120×40 px))",
        ),
        (
            Finding("page-error", "Unhandled rejection: boom"),
            "page error: Unhandled rejection: boom",
        ),
    ],
)
def test_each_kind_of_finding_reads_as_one_line(finding: Finding, line: str) -> None:
    assert describe(finding, with_step=True) == line
