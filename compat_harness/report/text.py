"""The matrix in the terminal, at the end of a run."""

from __future__ import annotations

from pathlib import Path

from compat_harness.results import RunResult, Status
from compat_harness.triage import by_pattern, short_names

MARK = {
    Status.PASSED: "pass",
    Status.FAILED: "FAIL",
    Status.FLAKY: "flaky",
    Status.NOT_RUN: "not run",
    Status.NOT_APPLICABLE: "n/a",
}


def terminal_summary(run: RunResult, paths: dict[str, Path], gating: tuple[str, ...]) -> list[str]:
    width = max([len(t.rsplit("::", 1)[-1]) for t in run.tests()] + [10])
    cols = [max(len(c.id), 7) for c in run.cells]
    lines = [
        " " * width + "  " + "  ".join(c.id.ljust(w) for c, w in zip(run.cells, cols, strict=True))
    ]
    grid = run.grid()
    for test in run.tests():
        row = test.rsplit("::", 1)[-1].ljust(width) + "  "
        row += "  ".join(
            (MARK[grid[(test, c.id)].status] if (test, c.id) in grid else "").ljust(w)
            for c, w in zip(run.cells, cols, strict=True)
        )
        lines.append(row)
    lines.append("")
    gating_not_run = {c.id for c in run.gating_not_run(gating)}
    for cell in run.cells:
        if cell.engine:
            e = cell.engine
            limits = f"; limits: {'; '.join(e['limits'])}" if e.get("limits") else ""
            lines.append(
                f"{cell.id}: {e['browser']} {e['version']} via {e['engine']} ({e['kind']}){limits}"
            )
        else:
            lines.append(
                f"{cell.id}: NOT RUN"
                + (" (its tier gates the run: exit 13)" if cell.id in gating_not_run else "")
                + f" — {cell.reason or 'no tests ran'}"
                + (f" — install: {cell.install}" if cell.install else "")
            )
    warn = run.warnings(gating)
    if warn:
        quarantined = sum(r.quarantined for r in warn)
        lines.append(
            f"warning: {len(warn)} failure(s) in cells whose tier does not fail the run"
            + (f" or quarantined ({quarantined})" if quarantined else "")
        )
    expired = [r for r in run.results if r.quarantine and r.quarantine.get("expired")]
    if expired:
        lines.append(f"quarantine expired for {len(expired)} result(s): they count again")
    flaky = [r for r in run.results if r.status is Status.FLAKY]
    if flaky:
        policy = "fail the run (--fail-on-flaky)" if run.fail_on_flaky else "do not fail the run"
        lines.append(
            f"flaky: {len(flaky)} result(s) passed only on a retry; flaky results {policy}"
        )
    unsaved = run.run.get("unsaved_artifacts") or []
    if unsaved:
        lines.append(
            f"artifacts not saved: {len(unsaved)} file(s) could not be written, e.g. "
            f"{unsaved[0]['file']}. Fix: free space or make the report folder writable"
        )
    totals = run.totals()
    lines.append(" · ".join(f"{totals[s.value]} {s.label}" for s in Status))
    lines.append(run.verdict(gating)[1])
    for pair in run.pair_verdicts():
        if not pair["ok"]:
            lines.append(
                f"pair {pair['test'].rsplit('::', 1)[-1]} on {pair['cell']} "
                f"({pair['profile_label']}): {pair['verdict']}"
            )
    for t, tests in by_pattern(run.triage()):
        lines.append(f"triage: {t.label} ({t.reason}): {short_names(tests, 3)}")
    lines.append(f"report: {paths['html']}")
    return lines
