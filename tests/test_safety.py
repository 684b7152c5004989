"""Destructive journeys refuse to run against a target that is not in test mode, with a clear
reason, unless explicitly allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from compat_harness.results import RunResult, Status
from reference_app.launcher import start

pytest_plugins = ["pytester"]
MATRIX = Path(__file__).resolve().parents[1] / "matrix" / "default.yaml"

JOURNEYS = """
import pytest

@pytest.mark.destructive
def test_books_something(session, target):
    session.goto(target.client_url + "/login")

def test_only_reads(session, target):
    session.goto(target.client_url + "/login")
"""


@pytest.fixture(scope="module")
def production_app():  # type: ignore[no-untyped-def]
    with start(mode="production") as app:
        yield app.info


def _run(pytester: pytest.Pytester, app, *extra: str) -> RunResult:  # type: ignore[no-untyped-def]
    pytester.makepyfile(test_journeys=JOURNEYS)
    pytester.runpytest_subprocess(
        "-p",
        "compat_harness.plugin",
        f"--matrix={MATRIX}",
        f"--report-dir={pytester.path / 'r'}",
        "--run-id=x",
        "--cells=chrome-desktop",
        f"--client-url={app.client_url}",
        f"--provider-url={app.provider_url}",
        "-W",
        "ignore::pytest.PytestRemovedIn10Warning",
        *extra,
    )
    return RunResult.read(pytester.path / "r" / "x" / "results.json")


def test_destructive_journeys_are_refused_on_a_production_target(
    pytester: pytest.Pytester, production_app
) -> None:  # type: ignore[no-untyped-def]
    run = _run(pytester, production_app)
    by_test = {r.test.rsplit("::", 1)[-1]: r for r in run.results}
    refused = by_test["test_books_something"]
    assert refused.status is Status.NOT_RUN
    assert (
        "destructive journey refused" in refused.reason and "--allow-destructive" in refused.reason
    )
    assert by_test["test_only_reads"].status is Status.PASSED
    assert run.run["target"]["mode"] == "production"


def test_allow_destructive_lets_them_run(pytester: pytest.Pytester, production_app) -> None:  # type: ignore[no-untyped-def]
    run = _run(pytester, production_app, "--allow-destructive")
    assert {r.status for r in run.results} == {Status.PASSED}
