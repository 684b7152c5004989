"""Allure: the run-level files next to allure-pytest's results (environment, categories), and the
HTML report generated from them by Allure 3 (the npm package ``allure``, which needs Node.js and no
Java), installed on first use into a project-local folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from compat_harness.results import RunResult

# Pinned: the categories and config format below were checked against this version.
ALLURE_PACKAGE = "allure@3.18.0"
CATEGORY_LABEL = "compat_category"
NOT_RUN_GATING = "not-run-gating"

# (name, category label value, matched statuses); Allure 3 matches the label, Allure 2 the trace.
CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Product bug", "product", ("failed", "broken")),
    ("Stored data (cache, cookies, storage)", "stored-data", ("failed", "broken")),
    ("Environment (browser, display, network)", "environment", ("failed", "broken")),
    ("Harness error", "harness", ("failed", "broken")),
    ("Gating cell not run (fails the run)", NOT_RUN_GATING, ("skipped",)),
)


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
            "name": name,
            "matchedStatuses": list(statuses),
            "traceRegex": f"[\\s\\S]*compat category: {value}[\\s\\S]*",
        }
        for name, value, statuses in CATEGORIES
    ]
    rules.append(
        {"name": "Flaky (passed on a retry)", "matchedStatuses": ["passed"], "flaky": True}
    )
    return rules


def allure3_config(run: RunResult, output: Path) -> dict[str, Any]:
    """allurerc.json for Allure 3: categories by the harness's label, the run's environment."""
    rules: list[dict[str, Any]] = [
        {
            "name": name,
            "matchers": {"statuses": list(statuses), "labels": {CATEGORY_LABEL: f"^{value}$"}},
        }
        for name, value, statuses in CATEGORIES
    ]
    rules.append({"name": "Flaky (passed on a retry)", "matchers": {"flaky": True}})
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
