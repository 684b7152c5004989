"""Allure results, labelled by the matrix, when allure-pytest writes them (``--allure`` puts them
in ``reports/<run-id>/allure-results``; ``--alluredir`` anywhere). Each (test, cell) result gets:
suite = journey, epic = portal, the cell as parameter and tag (plus tier and browser labels), a
category label, flaky and known (quarantined) flags, and every artifact of the failure attached.
At the end of the run (compat_harness.report.allure, with the other reports) the category is
replaced by the triage across cells, the page sentinels' findings are attached, and the
environment and categories files are written."""

from __future__ import annotations

import datetime as dt
import mimetypes
import os
from collections.abc import Generator
from typing import Any

import pytest

from compat_harness.plugin.cells import plan_of
from compat_harness.plugin.record import identity_of, read
from compat_harness.plugin.results import quarantine_of
from compat_harness.plugin.settings import run_of, settings_of
from compat_harness.report.allure import CATEGORY_LABEL, NOT_RUN_GATING, TEST_LABEL
from compat_harness.results import CellRecord, Status, TestResult, tier_for

_ATTACHMENT_NAMES = {
    "screenshot": "screenshot",
    "trace": "Playwright trace (open with `playwright show-trace`)",
    "video": "video",
    "dom": "DOM at failure",
    "console": "console log",
    "network": "network log",
    "har": "network HAR",
}


def allure_active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None)) and (
        config.pluginmanager.hasplugin("allure_listener")
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not allure_active(config):
        return
    plan = plan_of(config)
    for item in items:
        meta = identity_of(item)
        if meta is None:
            continue
        cell = plan.matrix.cells.get(meta.cell)
        portal = meta.portal or "both portals"
        labels = [
            ("suite", meta.journey),
            ("epic", f"{portal} portal" if meta.portal else portal),
            ("tag", meta.cell),
            ("cell", meta.cell),
            (TEST_LABEL, meta.test),
        ]
        if cell is not None:
            tiers = {p.value: t.value for p, t in cell.tiers.items()}
            column = CellRecord(cell.id, tiers, {}, cell.browser)
            labels += [("tier", tier_for(column, meta.portal)), ("browser", cell.browser)]
        for name, value in labels:
            item.add_marker(pytest.mark.allure_label(value, label_type=name))


@pytest.fixture(autouse=True)
def _compat_allure_parameters(request: pytest.FixtureRequest) -> None:
    """Parameters as a person reads them (the cell's id, not its Python repr)."""
    if not allure_active(request.config):
        return
    callspec = getattr(request.node, "callspec", None)
    if callspec is None:
        return
    import allure

    for name, value in callspec.params.items():
        readable = getattr(value, "id", None) or getattr(value, "value", None)
        if isinstance(readable, str):
            allure.dynamic.parameter(name, readable)


def _attachment_type(path: str) -> tuple[str, str]:
    extension = path.rsplit(".", 1)[-1] if "." in os.path.basename(path) else "txt"
    mime = (
        {
            "har": "application/json",
            "webm": "video/webm",
            "zip": "application/zip",
            "txt": "text/plain",
            "html": "text/html",
        }.get(extension)
        or mimetypes.guess_type(path)[0]
        or "application/octet-stream"
    )
    return mime, extension


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, Any]:
    """At the end of each test (after pytest-playwright has kept its artifacts): attach the
    artifacts, and mark the category, flaky and quarantined on the Allure result."""
    report: pytest.TestReport = yield
    if report.when != "teardown" or not allure_active(item.config):
        return report
    listener = item.config.pluginmanager.getplugin("allure_listener")
    test = listener.allure_logger.get_test(None) if listener is not None else None
    if test is None:
        return report
    _attach_artifacts(report)
    _mark(item, test)
    return report


def _attach_artifacts(report: pytest.TestReport) -> None:
    import allure

    seen: set[str] = set()
    for kind, path in ((a.kind, a.path) for a in read(report).artifacts):
        if path in seen or not os.path.exists(path):
            continue
        seen.add(path)
        mime, extension = _attachment_type(path)
        allure.attach.file(  # type: ignore[no-untyped-call]
            path,
            name=f"{_ATTACHMENT_NAMES.get(kind, kind)} ({os.path.basename(path)})",
            attachment_type=mime,
            extension=extension,
        )


def _cell_gates_but_cannot_run(item: pytest.Item) -> bool:
    """The test's cell has no engine here, its tier gates the run and it is not accepted."""
    meta = identity_of(item)
    plan = plan_of(item.config)
    cell = plan.matrix.cells.get(meta.cell) if meta else None
    if meta is None or cell is None or plan.resolution(cell).ok:
        return False
    settings = settings_of(item.config)
    allowed = settings.allow_not_run
    tiers = {p.value: t.value for p, t in cell.tiers.items()}
    tier = tier_for(CellRecord(cell.id, tiers, {}, cell.browser), meta.portal)
    gating = tier in {t.value for t in settings.fail_on}
    return gating and cell.id not in allowed and "all" not in allowed


def _mark(item: pytest.Item, test: Any) -> None:
    from allure_commons.model2 import Label, StatusDetails
    from allure_commons.model2 import Status as AllureStatus

    failed = test.status in (AllureStatus.FAILED, AllureStatus.BROKEN)
    gating_not_run = test.status == AllureStatus.SKIPPED and _cell_gates_but_cannot_run(item)
    if failed or gating_not_run:
        category = NOT_RUN_GATING if gating_not_run else read(item).error_category or "product"
        test.labels.append(Label(name=CATEGORY_LABEL, value=category))
        details = test.statusDetails or StatusDetails()
        # Allure 2's categories.json matches on text only: the category rides on the trace.
        details.trace = (details.trace or "") + f"\n\ncompat category: {category}"
        test.statusDetails = details
    elif test.status == AllureStatus.PASSED and getattr(item, "execution_count", 1) > 1:
        details = test.statusDetails or StatusDetails()
        details.flaky = True
        test.statusDetails = details
    meta = identity_of(item)
    quarantine = quarantine_of(item.config)
    if meta and quarantine.entries:
        probe = TestResult(meta.test, meta.journey, meta.cell, Status.PASSED)
        quarantine.apply([probe], dt.date.fromtimestamp(run_of(item.config).started))
        if probe.quarantined and probe.quarantine:
            details = test.statusDetails or StatusDetails()
            details.known = True  # a known, quarantined problem
            test.statusDetails = details
            test.labels.append(
                Label(
                    name="quarantine",
                    value=f"until {probe.quarantine['until']}: {probe.quarantine['reason']}",
                )
            )
