"""A Markdown summary for CI job summaries and PR comments: the matrix, then the failures."""

from __future__ import annotations

from pathlib import Path

from compat_harness.report.findings import describe
from compat_harness.report.history import Comparison, compare, earlier_runs
from compat_harness.results import RunResult, Status, TestResult
from compat_harness.triage import by_pattern, short_names
from compat_harness.versions.check import JOURNEY as VERSIONS_JOURNEY
from compat_harness.versions.report import STATIC_NOTE
from compat_harness.versions.report import view as versions_view

SYMBOL = {
    Status.PASSED: "✅ passed",
    Status.FAILED: "❌ failed",
    Status.FLAKY: "⚠️ flaky",
    Status.NOT_RUN: "⏭️ not run",
    Status.NOT_APPLICABLE: "➖ n/a",
}


VERDICT_ICON = {"failed": "❌", "warn": "⚠️", "passed": "✅"}
MAX_FINDINGS = 5  # per failure; the rest are in report.html
MAX_TESTS = 8  # named per triage pattern


def _finding_lines(result: TestResult) -> list[str]:
    lines = [f"  - {describe(f, with_step=True)}" for f in result.findings[:MAX_FINDINGS]]
    if len(result.findings) > MAX_FINDINGS:
        lines.append(f"  - … and {len(result.findings) - MAX_FINDINGS} more (see report.html)")
    return lines


def render_markdown(
    run: RunResult, max_failures: int = 20, comparison: Comparison | None = None
) -> str:
    totals = run.totals()
    target = run.run.get("target") or {}
    kind, verdict = run.verdict()
    git = run.run.get("git") or {}
    facts = [
        f"run `{run.run['id']}`",
        f"target {target.get('client_url', '?')} (client), {target.get('provider_url', '?')} (provider)"
        + (f" · defects on: {', '.join(target['defects'])}" if target.get("defects") else ""),
    ]
    if git.get("commit"):
        facts.append(f"commit `{str(git['commit'])[:12]}`")
    if run.run.get("shards"):
        facts.append(f"merged from {len(run.run['shards'])} shards")
    lines = [
        f"## {VERDICT_ICON[kind]} Compatibility: {verdict}",
        "",
        " · ".join(facts),
        "",
        " · ".join(f"**{totals[s.value]}** {s.label}" for s in Status)
        + f" · {totals['total']} total"
        + (f" · {totals['quarantined']} quarantined" if totals["quarantined"] else ""),
        "",
    ]
    if run.run.get("missing_shards"):
        lines += [f"**Incomplete:** shard(s) {', '.join(run.run['missing_shards'])} missing.", ""]
    for cell in run.gating_not_run():
        lines += [
            f"**Not run (fails the run):** `{cell.id}`: {cell.reason}"
            + (f" · install: `{cell.install}`" if cell.install else "")
            + f" · accept it on purpose with `--allow-not-run {cell.id}`",
            "",
        ]
    if comparison is not None:
        lines += [
            f"Since run `{comparison.previous_id}`: {len(comparison.new_failures)} new failure(s)"
            f" · {len(comparison.fixed)} fixed · {len(comparison.still_failing)} still failing",
            "",
        ]
    troubled = [p for p in run.pair_verdicts() if not p["ok"]]
    if troubled:
        lines += ["Incognito vs stored data:", ""]
        lines += [
            f"- `{p['test'].rsplit('::', 1)[-1]}` on **{p['cell']}** ({p['profile_label']}): "
            f"{p['verdict']}"
            for p in troubled
        ]
        lines.append("")
    header = ["Journey / test", *[c.id for c in run.cells]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    grid = run.grid()
    for test in run.tests():
        row = [f"`{test.rsplit('::', 1)[-1]}`"]
        for cell in run.cells:
            r = grid.get((test, cell.id))
            mark = SYMBOL[r.status] if r else ""
            if r and r.quarantined and r.status in (Status.FAILED, Status.FLAKY):
                mark += " (quarantined)"
            row.append(mark)
        lines.append("| " + " | ".join(row) + " |")
    tiers = [
        "| Cell | " + " | ".join(c.id for c in run.cells) + " |",
        "|---|" + "---|" * len(run.cells),
    ]
    for portal in ("client", "provider"):
        tiers.append(
            f"| tier ({portal}) | " + " | ".join(c.tier.get(portal, "") for c in run.cells) + " |"
        )
    tiers.append(
        "| engine | "
        + " | ".join(
            f"{c.engine['browser']} {c.engine['version']} ({c.engine['kind']})"
            if c.engine
            else f"not run: {c.reason}"
            for c in run.cells
        )
        + " |"
    )
    lines += ["", *tiers]
    failures = [r for r in run.results if r.status in (Status.FAILED, Status.FLAKY)]
    gating = run.gating_failures()
    failures.sort(key=lambda r: (r not in gating, r.status is Status.FLAKY))
    if failures:
        triage = run.triage()
        lines += ["", "### Triage across cells", ""]
        for t, tests in by_pattern(triage):
            lines.append(f"- **{t.label}** — {t.reason}: {short_names(tests, MAX_TESTS, '`')}")
        lines += ["", f"### Failures ({len(failures)})", ""]
        for r in failures[:max_failures]:
            tier = run.tier(r)
            step = f" at step *{r.error.step}*" if r.error and r.error.step else ""
            message = (r.error.message.splitlines() or [""])[0][:200] if r.error else ""
            note = (
                "fails the run"
                if r in gating
                else f"quarantined until {r.quarantine['until']}"
                if r.quarantined and r.quarantine
                else "warns only"
            )
            lines.append(
                f"- {SYMBOL[r.status]} `{r.test}` on **{r.cell}** ({tier}, {note}){step}: {message}"
                f" — *{triage[(r.test, r.cell)].label}*"
            )
            lines += _finding_lines(r)
        if len(failures) > max_failures:
            lines.append(f"- … and {len(failures) - max_failures} more (see report.html)")
    lines += _versions_section(run)
    expired = [r for r in run.results if r.quarantine and r.quarantine.get("expired")]
    if expired:
        lines += [
            "",
            f"Quarantine expired for {len(expired)} result(s) (they count again): "
            + ", ".join(f"`{r.test.rsplit('::', 1)[-1]}` on {r.cell}" for r in expired[:10]),
        ]
    lines += ["", "Full report: `report.html` in the run folder (screenshots, traces, logs)."]
    return "\n".join(lines) + "\n"


def _versions_section(run: RunResult) -> list[str]:
    """The version rows: static evidence, each cell's query and findings."""
    rows = [(r, versions_view(r)) for r in run.results if r.journey == VERSIONS_JOURNEY]
    if not rows:
        return []
    lines = ["", f"### Real browser versions ({STATIC_NOTE})", ""]
    for r, shown in rows:
        if shown is None:
            lines.append(f"- **{r.cell}**: {SYMBOL[r.status]} — {r.reason}")
            continue
        lines.append(f"- **{r.cell}** (`{shown.query}` = {shown.browsers}): {SYMBOL[r.status]}")
        for f in shown.findings:
            state = f" — {f.accepted}" if f.accepted else ""
            lines.append(
                f"  - {f.feature} at `{f.where}`: missing in {f.missing_in}; first in "
                f"{f.first_in}; [{f.source}]({f.source_url}){state}"
            )
    first = next((v for _, v in rows if v is not None), None)
    if first is not None:
        lines.append(f"- collected: {first.collected}")
    return lines


def write_markdown(run: RunResult, path: Path, history_root: Path | None = None) -> None:
    earlier = earlier_runs(history_root, str(run.run["id"]), limit=1) if history_root else []
    comparison = compare(run, earlier[0]) if earlier else None
    path.write_text(render_markdown(run, comparison=comparison), encoding="utf-8")
