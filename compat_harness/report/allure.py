"""Allure: the run-level files next to allure-pytest's results (environment, categories), and the
HTML report generated from them by Allure 3 (the npm package ``allure``, which needs Node.js and no
Java), installed on first use into a project-local folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from compat_harness.report.findings import STEP_SEPARATOR, as_text
from compat_harness.results import Finding, RunResult, Status
from compat_harness.triage import Category, Triage

# Pinned: the categories and config format below were checked against this version.
ALLURE_PACKAGE = "allure@3.18.0"
CATEGORY_LABEL = "compat_category"
TEST_LABEL = "compat_test"  # the result's test id (the matrix row), to find it in results.json

# One Allure category per triage category; Allure 3 matches the label, Allure 2 the trace.
_FAILED = ("failed", "broken")
_TRACE_LINES = re.compile(r"\n*^compat (category|triage): .*$", re.MULTILINE)


def environment(run: RunResult) -> dict[str, str]:
    """What the run ran on: engines and versions per cell, the target, the policy."""
    target = run.run.get("target") or {}
    props = {
        "run": str(run.run.get("id", "")),
        "target.client": str(target.get("client_url", "")),
        "target.provider": str(target.get("provider_url", "")),
        "target.kind": str(target.get("kind", "")),
        "fail_on": ",".join(run.fail_on),
    }
    if target.get("defects"):
        props["target.defects"] = ",".join(target["defects"])
    git = run.run.get("git") or {}
    if git.get("commit"):
        props["git.commit"] = str(git["commit"])
    for cell in run.cells:
        engine = cell.engine
        props[f"cell.{cell.id}"] = (
            f"{engine.get('browser')} {engine.get('version')} via {engine.get('engine')}"
            f" ({engine.get('display', '')})"
            if engine
            else f"not run: {cell.reason}"
        )
    return props


def categories_json() -> list[dict[str, Any]]:
    """Allure 2's categories.json (also read by Allure 3's classic plugin)."""
    rules: list[dict[str, Any]] = [
        {
            "name": c.label,
            "matchedStatuses": list(_FAILED),
            "traceRegex": f"[\\s\\S]*\\ncompat category: {re.escape(c.value)}\\n[\\s\\S]*",
        }
        for c in Category
    ]
    rules.append({"name": Category.FLAKY.label, "matchedStatuses": ["passed"], "flaky": True})
    return rules


def allure3_config(run: RunResult, output: Path) -> dict[str, Any]:
    """allurerc.json for Allure 3: categories by the harness's label, the run's environment."""
    rules: list[dict[str, Any]] = [
        {
            "name": c.label,
            "matchers": {"statuses": list(_FAILED), "labels": {CATEGORY_LABEL: f"^{c.value}$"}},
        }
        for c in Category
    ]
    rules.append({"name": Category.FLAKY.label, "matchers": {"flaky": True}})
    return {
        "name": f"Compatibility run {run.run.get('id', '')}",
        "output": str(output),
        "variables": environment(run),
        "categories": {"rules": rules},
    }


def write_allure_metadata(run: RunResult, allure_dir: Path) -> None:
    allure_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"{k}={_escape(v)}" for k, v in environment(run).items()]
    (allure_dir / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (allure_dir / "categories.json").write_text(
        json.dumps(categories_json(), indent=2) + "\n", encoding="utf-8"
    )
    apply_triage(run, allure_dir)


def apply_triage(run: RunResult, allure_dir: Path) -> None:
    """Each failed Allure result gets its triage (category label and a line on the trace, which
    only the whole run can tell) and what the page sentinels saw attached, to the result and
    to the step it was seen in. Idempotent: a merge runs it again over the copied results."""
    triage = run.triage()
    by_key = {(r.test, r.cell): r for r in run.results}
    for path in sorted(allure_dir.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        labels = {label.get("name"): label.get("value") for label in data.get("labels", [])}
        key = (str(labels.get(TEST_LABEL)), str(labels.get("cell")))
        result = by_key.get(key)
        if result is None or data.get("status") not in _FAILED:
            continue
        found = triage.get(key)
        if found is not None:
            _label(data, found)
        if result.findings and result.status in (Status.FAILED, Status.FLAKY):
            _attach_findings(data, result.findings, allure_dir)
        path.write_text(json.dumps(data), encoding="utf-8")


def _label(data: dict[str, Any], triage: Triage) -> None:
    data["labels"] = [
        label for label in data.get("labels", []) if label.get("name") != CATEGORY_LABEL
    ] + [{"name": CATEGORY_LABEL, "value": triage.category.value}]
    details = data.setdefault("statusDetails", {})
    # Allure 2's categories.json matches on text only: the category rides on the trace.
    trace = _TRACE_LINES.sub("", details.get("trace") or "").rstrip("\n")
    details["trace"] = (
        f"{trace}\n\ncompat category: {triage.category.value}\n"
        f"compat triage: {triage.label} — {triage.reason}\n"
    )


def _attach_findings(data: dict[str, Any], items: list[Finding], allure_dir: Path) -> None:
    uuid = str(data.get("uuid") or "result")
    _attach(
        data,
        f"{uuid}-findings-attachment.txt",
        f"seen on the page ({len(items)})",
        items,
        allure_dir,
    )
    by_step: dict[str, list[Finding]] = {}
    for f in items:
        if f.step:
            by_step.setdefault(f.step, []).append(f)
    for index, (step_path, here) in enumerate(by_step.items()):
        step = _find_step(data.get("steps") or [], step_path.split(STEP_SEPARATOR))
        if step is not None:
            name = f"{uuid}-findings-{index}-attachment.txt"
            _attach(step, name, f"seen on the page ({len(here)})", here, allure_dir)


def _attach(
    owner: dict[str, Any], source: str, name: str, items: list[Finding], allure_dir: Path
) -> None:
    (allure_dir / source).write_text(as_text(items), encoding="utf-8")
    attachments = [a for a in owner.get("attachments", []) if a.get("source") != source]
    owner["attachments"] = [*attachments, {"name": name, "source": source, "type": "text/plain"}]


def _find_step(steps: list[dict[str, Any]], path: list[str]) -> dict[str, Any] | None:
    """The step at the end of a path of step names (nested), else the last step of that name."""
    level: list[dict[str, Any]] = steps
    found: dict[str, Any] | None = None
    for name in path:
        found = next((s for s in reversed(level) if s.get("name") == name), None)
        if found is None:
            break
        level = found.get("steps") or []
    if found is not None:
        return found
    flat = list(_walk(steps))
    return next((s for s in reversed(flat) if s.get("name") == path[-1]), None)


def _walk(steps: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for step in steps:
        yield step
        yield from _walk(step.get("steps") or [])


def write_allure_version_results(run: RunResult, allure_dir: Path) -> None:
    """The version rows as Allure results (they are no pytest test, so allure-pytest writes none):
    one per cell, labelled like the journeys' results; the same file again on a re-write."""
    import hashlib
    import time

    from compat_harness.versions.check import JOURNEY
    from compat_harness.versions.report import STATIC_NOTE, summary

    statuses = {"passed": "passed", "failed": "failed", "flaky": "passed"}
    stop = int(time.time() * 1000)
    for r in run.results:
        if r.journey != JOURNEY:
            continue
        cell = run.cell(r.cell)
        uuid = hashlib.sha256(f"{run.run.get('id')}/{r.test}/{r.cell}".encode()).hexdigest()[:32]
        text = "\n".join(summary(r))
        result = {
            "uuid": uuid,
            "historyId": hashlib.sha256(f"{r.test}/{r.cell}".encode()).hexdigest()[:32],
            "name": f"{r.title} ({r.cell})",
            "fullName": f"{r.test}[{r.cell}]",
            "status": statuses.get(r.status.value, "skipped"),
            "statusDetails": {
                "message": r.error.message if r.error else (r.reason or STATIC_NOTE),
                "trace": text + (f"\n\ncompat category: {r.error.category}" if r.error else ""),
            },
            "description": f"Static evidence: {STATIC_NOTE}.",
            "labels": [
                {"name": "suite", "value": r.journey},
                {"name": "epic", "value": "both portals"},
                {"name": "tag", "value": r.cell},
                {"name": "cell", "value": r.cell},
                {"name": "tier", "value": run.tier(r)},
                {"name": "browser", "value": cell.browser if cell else ""},
                {"name": "evidence", "value": "static"},
                *([{"name": CATEGORY_LABEL, "value": r.error.category}] if r.error else []),
            ],
            "parameters": [{"name": "cell", "value": r.cell}],
            "start": stop - int(r.duration_s * 1000),
            "stop": stop,
        }
        (allure_dir / f"{uuid}-result.json").write_text(json.dumps(result, indent=1) + "\n")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", " ")


# --- the generated report ---------------------------------------------------------------------------


class AllureUnavailable(RuntimeError):
    """Allure 3 cannot run here; the message says what to install."""


def allure_command(tools_dir: Path, *, install: bool = True) -> list[str]:
    """The Allure 3 CLI: on PATH if it is Allure 3, else installed into ``tools_dir`` by npm."""
    local = tools_dir / "node_modules" / ".bin" / "allure"
    if local.exists():
        return [str(local)]
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise AllureUnavailable(
            "Allure 3 needs Node.js and npm (no Java): install them (Debian: sudo apt-get install "
            "nodejs npm), then run this again; it installs the 'allure' npm package into "
            f"{tools_dir}"
        )
    if not install:
        raise AllureUnavailable(f"Allure 3 is not installed in {tools_dir}")
    tools_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["npm", "install", "--prefix", str(tools_dir), "--no-audit", "--no-fund", ALLURE_PACKAGE],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not local.exists():
        raise AllureUnavailable(
            f"npm could not install {ALLURE_PACKAGE} into {tools_dir}:\n{done.stderr.strip()[-1500:]}"
        )
    return [str(local)]


def generate_allure_report(
    run_dir: Path, tools_dir: Path, output: Path | None = None, *, timeout: float = 600
) -> Path:
    """Build ``<run>/allure-report`` from ``<run>/allure-results`` with Allure 3."""
    results = run_dir / "allure-results"
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise AllureUnavailable(
            f"no Allure results in {results}: run with --allure (or --alluredir) first"
        )
    output = output or run_dir / "allure-report"
    run = RunResult.read(run_dir / "results.json")
    config = run_dir / "allurerc.json"
    config.write_text(json.dumps(allure3_config(run, output), indent=2) + "\n", encoding="utf-8")
    command = [*allure_command(tools_dir), "generate", "--config", str(config), str(results)]
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    if done.returncode != 0 or not (output / "index.html").exists():
        raise AllureUnavailable(
            f"allure generate failed ({done.returncode}):\n{(done.stderr or done.stdout)[-2000:]}"
        )
    return output
