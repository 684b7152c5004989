"""JUnit XML for CI UIs: one testsuite per cell, properties naming tier and engine."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from compat_harness.report.findings import as_text
from compat_harness.results import RunResult, Status, TestResult, tier_for
from compat_harness.triage import Triage
from compat_harness.versions.report import summary as versions_summary


def _findings_text(result: TestResult) -> str:
    """What the page sentinels saw, for the failure's text."""
    return f"\nSeen on the page:\n{as_text(result.findings)}" if result.findings else ""


def _triage_properties(case: ET.Element, triage: Triage) -> None:
    props = ET.SubElement(case, "properties")
    for name, value in (
        ("triage", triage.category.value),
        ("triage.label", triage.label),
        ("triage.reason", triage.reason),
    ):
        ET.SubElement(props, "property", name=name, value=value)


def write_junit(run: RunResult, path: Path) -> None:
    triage = run.triage()
    suites = ET.Element("testsuites", name=f"compat {run.run['id']}")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for cell in run.cells:
        results = [r for r in run.results if r.cell == cell.id]
        failures = sum(r.status is Status.FAILED for r in results)
        skipped = sum(r.status in (Status.NOT_RUN, Status.NOT_APPLICABLE) for r in results)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=cell.id,
            tests=str(len(results)),
            failures=str(failures),
            errors="0",
            skipped=str(skipped),
            time=f"{sum(r.duration_s for r in results):.3f}",
        )
        props = ET.SubElement(suite, "properties")
        engine = cell.engine or {}
        for name, value in (
            ("tier.client", cell.tier.get("client", "")),
            ("tier.provider", cell.tier.get("provider", "")),
            ("device", cell.device.get("name", "")),
            ("engine", engine.get("engine", "not run")),
            ("browser", f"{engine.get('browser', '')} {engine.get('version', '')}".strip()),
        ):
            ET.SubElement(props, "property", name=name, value=str(value))
        for r in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{r.journey}.{cell.id}",
                name=r.test,
                time=f"{r.duration_s:.3f}",
            )
            tier = tier_for(cell, r.portal)
            found = triage.get((r.test, r.cell))
            if found is not None:
                _triage_properties(case, found)
            head = f"[triage: {found.label}] {found.reason}\n" if found else ""
            if r.status is Status.FAILED and r.error:
                failure = ET.SubElement(
                    case, "failure", message=r.error.message[:500], type=r.error.type or "failure"
                )
                quarantine = (
                    f" [{'quarantine expired' if r.quarantine.get('expired') else 'quarantined'}"
                    f" until {r.quarantine['until']}: {r.quarantine['reason']}]"
                    if r.quarantine
                    else ""
                )
                failure.text = (
                    (
                        f"[tier {tier}]{quarantine} step: {r.error.step}\n"
                        if r.error.step
                        else f"[tier {tier}]{quarantine}\n"
                    )
                    + head
                    + _findings_text(r)
                    + r.error.details
                )
            elif r.status in (Status.NOT_RUN, Status.NOT_APPLICABLE):
                ET.SubElement(case, "skipped", message=f"{r.status.label}: {r.reason}"[:500])
            elif r.status is Status.FLAKY:
                # Surefire's flaky element: Jenkins and GitLab show the test as passed-but-flaky.
                flaky = ET.SubElement(
                    case, "flakyFailure", message=(r.error.message if r.error else "")[:500]
                )
                flaky.text = head + _findings_text(r) + (r.error.details if r.error else "")
            if r.versions:  # the version row: what was checked, static evidence
                ET.SubElement(case, "system-out").text = "\n".join(versions_summary(r))
            elif r.artifacts:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(
                    f"[[ATTACHMENT|{p}]]" for paths in r.artifacts.values() for p in paths
                )
        totals["tests"] += len(results)
        totals["failures"] += failures
        totals["skipped"] += skipped
    for key, value in totals.items():
        suites.set(key, str(value))
    ET.indent(suites)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
