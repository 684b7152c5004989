"""A Markdown summary for CI job summaries and PR comments: the matrix, then the failures."""

from __future__ import annotations

from pathlib import Path

from compat_harness.results import RunResult, Status, tier_for

SYMBOL = {
    Status.PASSED: "✅ passed",
    Status.FAILED: "❌ failed",
    Status.FLAKY: "⚠️ flaky",
    Status.NOT_RUN: "⏭️ not run",
    Status.NOT_APPLICABLE: "➖ n/a",
}


def render_markdown(run: RunResult, max_failures: int = 20) -> str:
    totals = run.totals()
    target = run.run.get("target") or {}
    lines = [
        f"## Compatibility matrix — run `{run.run['id']}`",
        "",
        f"Target: {target.get('client_url', '?')} (client), {target.get('provider_url', '?')} (provider)"
        + (f" · defects on: {', '.join(target['defects'])}" if target.get("defects") else ""),
        "",
        " · ".join(f"**{totals[s.value]}** {s.label}" for s in Status)
        + f" · {totals['total']} total",
        "",
    ]
    header = ["Journey / test", *[c.id for c in run.cells]]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    grid = run.grid()
    for test in run.tests():
        row = [f"`{test.rsplit('::', 1)[-1]}`"]
        for cell in run.cells:
            r = grid.get((test, cell.id))
            row.append(SYMBOL[r.status] if r else "")
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
    if failures:
        lines += ["", "### Failures", ""]
        for r in failures[:max_failures]:
            record = run.cell(r.cell)
            tier = tier_for(record, r.portal) if record else "?"
            step = f" at step *{r.error.step}*" if r.error and r.error.step else ""
            message = (r.error.message if r.error else "").splitlines()[0][:200] if r.error else ""
            lines.append(
                f"- {SYMBOL[r.status]} `{r.test}` on **{r.cell}** ({tier}){step}: {message}"
            )
        if len(failures) > max_failures:
            lines.append(f"- … and {len(failures) - max_failures} more (see report.html)")
    return "\n".join(lines) + "\n"


def write_markdown(run: RunResult, path: Path) -> None:
    path.write_text(render_markdown(run), encoding="utf-8")
