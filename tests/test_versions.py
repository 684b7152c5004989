"""The version check's parts without browsers: stands_for validated by browserslist (file and
line), the Node runner on real inputs (findings with file, line, column, first version and
source; feature tests not flagged; inline scripts and styles placed in their document), the
allowlist and its expiry, the rows, the merge of shards, and reading the version a person
reports. The end-to-end run is the detection self-test (test_detection.py, version defects)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from compat_harness.matrix import MatrixError, parse_matrix
from compat_harness.results import RunResult, Status, TestResult
from compat_harness.versions.allow import AllowError, load_allowlist
from compat_harness.versions.check import (
    TEST_ID,
    Collected,
    _Piece,
    combine,
    lint,
    read_collected,
    rows,
)
from compat_harness.versions.collect import Collector
from compat_harness.versions.stated import Stated, applying, parse_stated
from compat_harness.versions.tools import ToolsUnavailable, find_tools

ROOT = Path(__file__).resolve().parents[1]

try:
    find_tools()
    _TOOLS = ""
except ToolsUnavailable as exc:
    _TOOLS = str(exc)
needs_tools = pytest.mark.skipif(bool(_TOOLS), reason=f"not run: {_TOOLS}")

QUERIES = {
    "chrome-desktop": "chrome >= 120",
    "ios-webkit": "ios_saf >= 16.4",
    "android-chrome": "and_chr >= 120",
}

SCRIPT = """\
const grouped = Object.groupBy(items, (x) => x.kind);
if ('groupBy' in Object) { Object.groupBy(items, f); }
const safe = typeof Object.groupBy === 'function' ? Object.groupBy(items, f) : null;
function later() {
  if (!('fromAsync' in Array)) return;
  Array.fromAsync(items);
}
Array.fromAsync(items);
if (typeof structuredClone !== 'undefined') { structuredClone(items); }
window.URL.canParse && URL.canParse('x');
const own = { groupBy() {} }; own.groupBy();
"""
STYLE = """\
.card { color: red;
  & h1 { margin: 0; } }
@supports selector(&) { .x { & .y { color: blue; } } }
"""


def _matrix(extra: str) -> str:
    return f"""
version: 1
cells:
  one:
    device: Desktop 1440
    browser: chromium
    tier: recommended
{extra}
cell_sets:
  default: [one]
"""


@needs_tools
def test_stands_for_is_read_by_browserslist_and_a_bad_query_names_its_line() -> None:
    matrix = parse_matrix(_matrix('    stands_for: "ios_saf >= 16.4"'))
    assert matrix.cells["one"].stands_for == "ios_saf >= 16.4"
    with pytest.raises(MatrixError) as caught:
        parse_matrix(_matrix('    stands_for: "iphone >= 16"'), "m.yaml")
    text = str(caught.value)
    assert "m.yaml:8:" in text and "iphone" in text and "browserslist" in text
    with pytest.raises(MatrixError, match=r"m.yaml:8: .*must be a browserslist query"):
        parse_matrix(_matrix("    stands_for: 16"), "m.yaml")


def test_without_node_a_query_is_not_checked_but_warned_about(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from compat_harness.versions import tools

    def missing(_: dict[str, str]) -> dict[str, object]:
        raise ToolsUnavailable("Node.js is not installed")

    monkeypatch.setattr(tools, "resolve_queries", missing)
    with pytest.warns(UserWarning, match="not checked: Node.js is not installed"):
        matrix = parse_matrix(_matrix('    stands_for: "nonsense >= 1"'))
    assert matrix.cells["one"].stands_for == "nonsense >= 1"


def _lint(*pieces: _Piece) -> dict[tuple[str, int, int], dict[str, object]]:
    outcome = lint(Collected(list(pieces), {}, {}), QUERIES)
    assert not outcome.unavailable, outcome.unavailable
    assert not outcome.problems, outcome.problems
    return {(str(f["feature"]), int(f["line"]), int(f["column"])): f for f in outcome.findings}


@needs_tools
def test_scripts_are_checked_against_mdn_and_feature_tests_are_not_findings() -> None:
    found = _lint(_Piece("script", SCRIPT, "http://t/app.js"))
    # Only the unguarded uses: line 1 (groupBy) and line 8 (fromAsync). The feature tests on
    # lines 2, 3, 5 (early return), 9 (typeof) and 10 (&&) and the page's own groupBy are not.
    assert set(found) == {("Object.groupBy()", 1, 17), ("Array.fromAsync()", 8, 1)}
    group = found[("Object.groupBy()", 1, 17)]
    assert group["first"] == {"chrome": "117", "ios_saf": "17.4", "and_chr": "117"}
    assert set(group["cells"]) == {"ios-webkit"}  # type: ignore[arg-type]
    assert group["source"] == {
        "name": "MDN browser-compat-data",
        "id": "javascript.builtins.Object.groupBy",
        "url": "https://developer.mozilla.org/docs/Web/JavaScript/Reference/Global_Objects/Object/groupBy",
    }
    from_async = found[("Array.fromAsync()", 8, 1)]
    assert set(from_async["cells"]) == {"chrome-desktop", "android-chrome"}  # type: ignore[arg-type]
    assert from_async["cells"]["chrome-desktop"] == ["chrome 120"]  # type: ignore[index]


@needs_tools
def test_css_is_checked_against_caniuse_and_supports_guards_are_not_findings() -> None:
    found = _lint(_Piece("style", STYLE, "http://t/style.css", line=5, column=3))
    # The nested rule on the style's line 2 (document line 6); the one under @supports is not.
    assert list(found) == [("CSS Nesting", 6, 3)]
    nesting = found[("CSS Nesting", 6, 3)]
    assert nesting["source"] == {
        "name": "caniuse",
        "id": "css-nesting",
        "url": "https://caniuse.com/css-nesting",
    }
    assert nesting["cells"] == {"ios-webkit": ["ios_saf 16.4"]}
    assert nesting["first"]["ios_saf"] == "16.5"  # type: ignore[index]


def test_inline_scripts_styles_and_style_attributes_keep_their_place_in_the_document(
    tmp_path: Path,
) -> None:
    page = (
        "<!doctype html>\n<html><head>\n"
        "<style>\n.a { & .b { color: red } }\n</style>\n"
        '</head><body><p style="inset: 0">x</p>\n'
        "  <script>const g = Object.groupBy([], (x) => x);</script>\n"
        '<script src="/app.js"></script><script type="application/json">{"a": 1}</script>\n'
        "</body></html>\n"
    )
    run = tmp_path / "run"
    collector = Collector(run, "gw0")
    collector.target("http://t")
    collector._keep("http://t/page", "html", page.encode(), "playwright")
    collector._keep("http://t/other", "html", page.replace("x</p>", "y</p>").encode(), "fetched")
    collected = read_collected(run)
    places = {(p.kind, p.line, p.column): p for p in collected.pieces}
    assert set(places) == {("style", 3, 8), ("style-attr", 6, 24), ("script", 7, 11)}
    assert places[("script", 7, 11)].text.startswith("const g = Object.groupBy")
    assert places[("style-attr", 6, 24)].text == "inset: 0"
    assert places[("script", 7, 11)].others == ["http://t/page"]  # the same text, listed once
    assert collected.counts == {"html": 2, "inline": 6}
    assert collected.sources == {"playwright": 1, "fetched": 1}
    assert "fetched over HTTP" in collected.describe()


@needs_tools
def test_findings_inline_in_a_document_point_at_the_document(tmp_path: Path) -> None:
    piece = _Piece("script", "\n  const g = Object.groupBy([], f);", "http://t/login", 7, 11)
    assert list(_lint(piece)) == [("Object.groupBy()", 8, 13)]


def _allow(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "allow.yaml"
    path.write_text(text)
    return path


def test_the_allowlist_accepts_until_its_date_and_bad_entries_name_their_line(
    tmp_path: Path,
) -> None:
    good = _allow(
        tmp_path,
        "allow:\n"
        "  - feature: Object.groupBy()\n"
        "    file: /static/*.js\n"
        "    cells: [ios-webkit]\n"
        "    until: 2026-06-30\n"
        "    reason: the polyfill ships first\n",
    )
    allowlist = load_allowlist(good, ["ios-webkit", "chrome-desktop"])
    finding = {"feature": "Object.groupBy()", "file": "http://t/static/app.3.js", "source": {}}
    assert allowlist.match(finding, "ios-webkit") is not None
    assert allowlist.match(finding, "chrome-desktop") is None
    assert allowlist.match({**finding, "file": "http://t/login"}, "ios-webkit") is None
    for text, complaint in (
        ("allow:\n  - feature: x\n    until: 2026-01-01\n", r"allow.yaml:2: no 'reason'"),
        ("allow:\n  - feature: x\n    reason: r\n", r"allow.yaml:2: 'until' must be a date"),
        ("allow:\n  - reason: r\n    until: 2026-01-01\n", r"allow.yaml:2: no 'feature'"),
        (
            "allow:\n  - feature: x\n    reason: r\n    until: 2026-01-01\n    cells: [nope]\n",
            r"allow.yaml:2: no cell named nope",
        ),
        ("allow:\n  - feature: x\n    when: now\n", r"allow.yaml:2: unknown key\(s\) when"),
    ):
        with pytest.raises(AllowError, match=complaint):
            load_allowlist(_allow(tmp_path, text), ["ios-webkit"])


def _outcome_row(tmp_path: Path, today: dt.date) -> TestResult:
    from compat_harness.matrix import load_matrix
    from compat_harness.versions.check import Outcome

    cell = load_matrix(ROOT / "matrix" / "default.yaml", check_queries=False).cells["ios-webkit"]
    allow = load_allowlist(
        _allow(
            tmp_path,
            "allow:\n  - feature: css-nesting\n    until: 2026-06-30\n    reason: checked by hand\n",
        ),
        ["ios-webkit"],
    )
    finding = {
        "feature": "CSS Nesting",
        "file": "http://t/login",
        "line": 3,
        "column": 5,
        "first": {"ios_saf": "16.5"},
        "source": {
            "name": "caniuse",
            "id": "css-nesting",
            "url": "https://caniuse.com/css-nesting",
        },
        "cells": {"ios-webkit": ["ios_saf 16.4"]},
    }
    outcome = Outcome(
        queries={"ios-webkit": {"browsers": ["ios_saf 17.0", "ios_saf 16.4"]}},
        findings=[finding],
        collected=Collected(
            [_Piece("style", "x", "http://t/login")], {"html": 1}, {"playwright": 1}
        ),
    )
    return rows([cell], outcome, allow, today)[0]


def test_an_accepted_finding_passes_the_row_until_the_acceptance_expires(tmp_path: Path) -> None:
    accepted = _outcome_row(tmp_path, dt.date(2026, 6, 30))
    assert accepted.status is Status.PASSED
    assert accepted.versions and accepted.versions["findings"][0]["accepted"]["expired"] is False
    expired = _outcome_row(tmp_path, dt.date(2026, 7, 1))
    assert expired.status is Status.FAILED and expired.error is not None
    assert "CSS Nesting" in expired.error.message and "static evidence" in expired.error.message
    assert "acceptance expired until 2026-06-30" in expired.error.details
    assert "http://t/login:3:5" in expired.error.details


def test_rows_say_why_they_could_not_check(tmp_path: Path) -> None:
    from compat_harness.matrix import load_matrix
    from compat_harness.versions.allow import Allowlist
    from compat_harness.versions.check import Outcome

    matrix = load_matrix(ROOT / "matrix" / "default.yaml", check_queries=False)
    cells = [matrix.cells["ios-webkit"]]
    missing = rows(
        cells,
        Outcome(unavailable="Node.js is not installed; run setup"),
        Allowlist(),
        dt.date.today(),
    )
    assert missing[0].status is Status.NOT_RUN and "Node.js" in missing[0].reason
    empty = rows(cells, Outcome(collected=Collected([], {}, {})), Allowlist(), dt.date.today())
    assert empty[0].status is Status.NOT_RUN and "nothing to check" in empty[0].reason
    import dataclasses

    bare = dataclasses.replace(cells[0], stands_for=None)
    assert rows([bare], None, Allowlist(), dt.date.today())[0].status is Status.NOT_APPLICABLE


def test_shards_version_rows_add_up(tmp_path: Path) -> None:
    one = _outcome_row(tmp_path, dt.date(2027, 1, 1))
    two = TestResult.from_json(json.loads(json.dumps(one.to_json())))
    assert two.versions is not None
    two.versions["findings"] = []
    two.status, two.error = Status.PASSED, None
    merged = combine([two, one])
    assert merged.status is Status.FAILED and len((merged.versions or {})["findings"]) == 1
    assert merged.test == TEST_ID


@pytest.mark.parametrize(
    ("description", "kind", "expected"),
    [
        ("iPhone, iOS 16", "iphone", Stated("ios_saf", "16")),
        ("iPhone 13 iOS 16.4 Safari", "iphone", Stated("ios_saf", "16.4")),
        ("iPad, iPadOS 17.2", "ipad", Stated("ios_saf", "17.2")),
        ("iPhone Safari 15", "iphone", Stated("ios_saf", "15")),
        ("iPhone 14 Chrome 120", "iphone", None),
        ("Chrome 118 on Windows", "windows", Stated("chrome", "118")),
        ("Android 12 Chrome 109", "android", Stated("and_chr", "109")),
        ("Samsung Internet 23 on a Galaxy", "android", Stated("samsung", "23")),
        ("Safari 15 on a MacBook", "mac", Stated("safari", "15")),
        ("Firefox 115", "desktop", Stated("firefox", "115")),
        ("Android 12", "android", None),
        ("iPhone 13", "iphone", None),
    ],
)
def test_the_version_a_person_reports_is_read(
    description: str, kind: str, expected: Stated | None
) -> None:
    assert parse_stated(description, kind) == expected


def test_findings_are_told_for_the_reported_version(tmp_path: Path) -> None:
    row = _outcome_row(tmp_path, dt.date(2027, 1, 1))
    assert row.versions is not None
    row.versions["findings"].append(
        {
            "feature": "Object.groupBy()",
            "file": "http://t/login",
            "line": 9,
            "column": 1,
            "first": {"ios_saf": "17.4"},
            "lacking": ["ios_saf 16.4"],
        }
    )
    run = RunResult(run={"id": "x"}, cells=[], results=[row])
    ios16 = applying(run, "ios-webkit", Stated("ios_saf", "16"))
    assert any("earlier 16.x releases only: CSS Nesting" in line for line in ios16), ios16
    assert any(line.startswith("applies: Object.groupBy()") for line in ios16), ios16
    ios17 = applying(run, "ios-webkit", Stated("ios_saf", "17.4"))
    assert ios17 == ["no version finding applies to iOS Safari 17.4"]
    old = applying(run, "ios-webkit", Stated("ios_saf", "15"))
    assert "older than the versions ios-webkit stands for" in old[0]
    assert ios16[0].startswith("16.x before 16.4 is older than"), ios16
