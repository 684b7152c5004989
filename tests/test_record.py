"""What a test records (compat_harness.plugin.record): written by the plugin's parts, read back
whole, the same with xdist workers (the records cross to the controller as JSON) as without."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from compat_harness.plugin import record
from compat_harness.plugin.record import Artifact, Identity, Outcome
from compat_harness.profiles import PairVerdict
from compat_harness.results import Finding, RunResult, Status
from tests.support.matrix_run import PLUGINS

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]


def _report(outcome: Any = "passed", longrepr: Any = None) -> pytest.TestReport:
    return pytest.TestReport("t.py::x", ("t.py", 0, "x"), {}, outcome, longrepr, "call")


def test_every_fact_written_is_read_back_after_a_trip_through_json() -> None:
    report = _report()
    identity = Identity("t.py::x[client]", "sign_in", "ios-webkit", "client", "Signs in",
                        "stored", "t.py::x[client]")  # fmt: skip
    finding = Finding("page-error", "boom", step="Open", page="http://a.test/", t=1.0)
    record.record_order(report, 7)  # the order may come first: it is folded in all the same
    record.identify(report, identity)
    record.record_engine(report, {"engine": "webkitgtk"})
    record.record_engine(report, {"engine": "second"})  # once per test: the first stands
    record.record_target(report, {"client_url": "http://a.test"})
    record.record_target_down(report, "target down: no answer")
    record.record_steps(report, [{"title": "Open", "status": "passed"}])
    record.record_steps(report, [{"title": "Open again", "status": "failed"}])  # the latest
    record.record_findings(report, [finding])
    record.record_artifact(report, "dom", "a/dom.html")
    record.record_artifact(report, "dom", "a/dom.html")  # later reports carry it again
    report.user_properties.append(("playwright_trace", "a/trace.zip"))  # pytest-playwright's
    record.record_unsaved(report, "a/video.webm", OSError("disk full"))
    record.record_error_category(report, "harness")
    record.record_error_category(report, "environment")  # the latest said wins
    record.record_crash(report, "TimeoutError: waited")
    record.record_sentinel(report, "page-error")
    record.record_browser_crashed(report, "webkit 2.50")
    # What xdist does to user properties between a worker and the controller.
    report.user_properties = [tuple(p) for p in json.loads(json.dumps(report.user_properties))]
    got = record.read(report)
    assert got.identity == Identity(**{**identity.__dict__, "order": 7})
    assert got.outcome is Outcome.PASSED and got.reason == ""
    assert got.engine == {"engine": "webkitgtk"}
    assert got.target == {"client_url": "http://a.test"}
    assert got.target_down == "target down: no answer"
    assert got.steps == ({"title": "Open again", "status": "failed"},)
    assert got.findings == (finding,)
    assert got.artifacts == (Artifact("dom", "a/dom.html"), Artifact("trace", "a/trace.zip"))
    assert got.unsaved == ("a/video.webm: disk full",)
    assert got.error_category == "environment"
    assert (got.crash, got.sentinel, got.browser_crashed) == (
        "TimeoutError: waited", "page-error", "webkit 2.50",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("outcome", "longrepr", "expected"),
    [
        ("skipped", ("t.py", 1, "Skipped: not run: no engine"), (Outcome.NOT_RUN, "no engine")),
        ("skipped", ("t.py", 1, "Skipped: not applicable: desktop"), (Outcome.NOT_APPLICABLE, "desktop")),
        ("skipped", ("t.py", 1, "Skipped: plain pytest skip"), (Outcome.NOT_RUN, "plain pytest skip")),
        ("failed", "AssertionError", (Outcome.FAILED, "")),
        ("rerun", None, (Outcome.RERUN, "")),
    ],
)  # fmt: skip
def test_outcomes_read_from_the_report(
    outcome: str, longrepr: Any, expected: tuple[Outcome, str]
) -> None:
    got = record.read(_report(outcome, longrepr))
    assert (got.outcome, got.reason) == expected


def test_values_rewritten_for_secrets_still_read() -> None:
    report = _report()
    record.record_order(report, 3)
    record.record_crash(report, "typed hunter2 into the field")
    record.rewrite(report, lambda text: text.replace("hunter2", "[redacted]"))
    assert record.read(report).crash == "typed [redacted] into the field"


def test_a_plan_is_read_back_as_written() -> None:
    planned = {"t.py::x[a]": Identity("t.py::x", "j", "a", None, "", "incognito", "t.py::x", 2)}
    assert record.decode_plan(record.encode_plan(planned)) == planned


# A paired journey whose other parameter's ids read like profile names, and outcomes of each
# kind: no browser needed, so the run is quick.
_JOURNEYS = '''
import pytest
from compat_harness.outcomes import not_applicable, not_run
from compat_harness.plugin import record
from compat_harness.results import Finding

pytestmark = pytest.mark.journey("records", portal="client")


@pytest.mark.paired(profiles=["stored"])
@pytest.mark.parametrize("visit", ["stored", "plain"], ids=["stored", "incognito-look-alike"])
def test_paired(cell, profile, visit, compat_steps, request, tmp_path):
    """Fails only with stored data, and only for the first visit."""
    kept = tmp_path / "note.txt"
    kept.write_text("kept")
    record.record_artifact(request.node, "note", str(kept))
    record.record_findings(request.node, [Finding("page-error", f"seen by {profile}")])
    with compat_steps.step("Open the page"):
        pass
    with compat_steps.step("Look again"):
        assert not (profile == "stored" and visit == "stored"), "stale data"


def test_cannot_run(cell):
    not_run("no such thing here")


def test_does_not_apply(cell):
    not_applicable("not on this cell")
'''


def _child_run(pytester: pytest.Pytester, run_id: str, *args: str) -> RunResult:
    result = pytester.runpytest_subprocess(
        *PLUGINS, "-p", "no:cacheprovider", "-p", "no:randomly", "--cells=chrome-desktop",
        f"--matrix={ROOT / 'matrix' / 'default.yaml'}", f"--report-dir={pytester.path / 'r'}",
        f"--run-id={run_id}", "--versions=off", "--sentinels=off", *args,
    )  # fmt: skip
    assert result.ret == 1, result.stdout.str()[-3000:]  # the one stored-data failure
    if "-n" in args:
        result.stdout.fnmatch_lines(["*created: 2/2 workers*"])
    return RunResult.read(pytester.path / "r" / run_id / "results.json")


def _recorded(run: RunResult) -> dict[str, dict[str, Any]]:
    """Each result as results.json has it, less what differs from run to run."""
    varying = ("duration_s", "artifact_dir", "artifacts")
    out = {}
    for r in run.results:
        data = {k: v for k, v in r.to_json().items() if k not in varying}
        data["steps"] = [(s["title"], s["status"]) for s in r.steps]
        data["artifacts"] = sorted(r.artifacts)
        if data["error"]:
            data["error"] = {k: data["error"][k] for k in ("message", "step", "category")}
        out[r.test] = data
    return out


def test_records_cross_from_xdist_workers_whole_and_pairs_follow_the_recorded_fields(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_records=_JOURNEYS)
    plain = _child_run(pytester, "plain")
    workers = _child_run(pytester, "xdist", "-n", "2")
    assert _recorded(workers) == _recorded(plain)
    assert sorted(r.order for r in workers.results) == list(range(6))  # the collection's order
    by_test = {r.test: r for r in workers.results}
    first = "test_records.py::test_paired[stored]"
    assert {t: (r.profile, r.pair) for t, r in by_test.items()} == {
        "test_records.py::test_paired[incognito-stored]": ("incognito", first),
        "test_records.py::test_paired[stored-stored]": ("stored", first),
        "test_records.py::test_paired[incognito-incognito-look-alike]": (
            "incognito", "test_records.py::test_paired[plain]",
        ),
        "test_records.py::test_paired[stored-incognito-look-alike]": (
            "stored", "test_records.py::test_paired[plain]",
        ),
        "test_records.py::test_cannot_run": (None, None),
        "test_records.py::test_does_not_apply": (None, None),
    }  # fmt: skip
    failed = by_test["test_records.py::test_paired[stored-stored]"]
    assert failed.status is Status.FAILED and failed.error is not None
    assert "stale data" in failed.error.message and failed.error.step == "Look again"
    assert [(s["title"], s["status"]) for s in failed.steps] == [
        ("Open the page", "passed"), ("Look again", "failed"),
    ]  # fmt: skip
    assert [f.message for f in failed.findings] == ["seen by stored"]
    assert failed.artifacts["note"] and failed.artifacts["note"][0].endswith("note.txt")
    cannot = by_test["test_records.py::test_cannot_run"]
    assert (cannot.status, cannot.reason) == (Status.NOT_RUN, "no such thing here")
    na = by_test["test_records.py::test_does_not_apply"]
    assert (na.status, na.reason) == (Status.NOT_APPLICABLE, "not on this cell")
    pairs = {(p["test"], p["profile"]): p["verdict"] for p in workers.to_json()["pairs"]}
    assert pairs == {
        (first, "stored"): PairVerdict.STORED_DATA.value,
        ("test_records.py::test_paired[plain]", "stored"): PairVerdict.PASSES.value,
    }
