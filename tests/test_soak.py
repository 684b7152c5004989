"""The soak's comparison: a (test, cell) is flaky when its status differs between runs, a result
missing from a run included; the same status everywhere is not."""

from __future__ import annotations

from bench.soak import flakes
from compat_harness.results import ErrorInfo, RunResult, Status, TestResult


def _run(**statuses: Status) -> RunResult:
    results = [
        TestResult(
            test=test,
            journey="j",
            cell="c",
            status=status,
            error=ErrorInfo("timed out") if status is Status.FAILED else None,
        )
        for test, status in statuses.items()
    ]
    return RunResult(run={"id": "x"}, cells=[], results=results)


def test_only_results_that_differ_between_runs_are_flakes() -> None:
    runs = {
        "w1-01": _run(a=Status.PASSED, b=Status.FAILED, c=Status.PASSED, d=Status.PASSED),
        "w2-01": _run(a=Status.PASSED, b=Status.FAILED, c=Status.FAILED),
    }
    found = {f.test: f for f in flakes(runs)}
    assert set(found) == {"c", "d"}
    assert found["c"].statuses == {"w1-01": "passed", "w2-01": "failed"}
    assert found["c"].errors == {"w2-01": "timed out"}
    assert found["d"].statuses == {"w1-01": "passed", "w2-01": "missing"}
