"""Destructive journeys refuse to run against a target that is not in test mode, with a clear
reason, unless explicitly allowed; the reference app's test hooks do not exist in production mode
(every hook route, asked of the running app over HTTP, in the ways a caller could spell it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compat_harness.results import RunResult, Status
from reference_app.launcher import start
from reference_app.testhooks import build_test_router
from tests.support.matrix_run import PLUGINS

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
        *PLUGINS,
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


def _hook_requests() -> list[tuple[str, str]]:
    """Every test hook the app defines (method, path), and spellings of them a proxy or a
    careless caller could send."""
    from fastapi import FastAPI

    # The app's own description of its routes (the router nests one router per group).
    app = FastAPI()
    app.include_router(build_test_router())
    requests = []
    for template, operations in app.openapi()["paths"].items():
        path = template.replace("{scenario_id}", "s-1")
        for method in sorted(m.upper() for m in operations):
            requests += [(method, path), (method, path + "/"), (method, "/" + path)]
            requests.append((method, path.replace("__test__", "%5F%5Ftest%5F%5F")))
    assert len(requests) >= 7 * 4, requests  # provision, scenarios, clock, sessions, ...
    return requests


def _ask(base: str, method: str, path: str) -> tuple[int, str]:
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        body = b"{}" if method in ("POST", "PUT") else None
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")[:200]
    finally:
        conn.close()


def test_the_test_hooks_are_refused_by_the_running_app_in_production(production_app) -> None:  # type: ignore[no-untyped-def]
    for base in (production_app.client_url, production_app.provider_url):
        answers = {(m, p): _ask(base, m, p) for m, p in _hook_requests()}
        served = {k: v for k, v in answers.items() if v[0] not in (403, 404, 405)}
        assert not served, f"{base} answers test hooks in production: {served}"


def test_the_same_requests_reach_the_hooks_in_test_mode() -> None:
    """The check above can fail: the canonical spellings are answered by a test-mode app."""
    with start(mode="test") as app:
        canonical = {(m, p) for m, p in _hook_requests()[::4]}
        answers = {k: _ask(app.info.client_url, *k) for k in canonical}
    # Served: anything but the app's answer for a route that does not exist.
    missing = (404, '{"detail":"Not Found"}')
    assert all(answer != missing for answer in answers.values()), answers
