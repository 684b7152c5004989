"""Matrix YAML: typed loading, and one clear error (file, line, fix) for each kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from compat_harness.matrix import Matrix, MatrixError, Portal, Tier, load_matrix, parse_matrix

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
version: 1
cells:
  phone:
    device: iPhone 14
    browser: webkit
    engines: [playwright, webkitgtk]
    tier: {client: supported, provider: not-recommended}
    viewport: 375x667
cell_sets:
  default: [phone]
"""


def _error(text: str) -> MatrixError:
    with pytest.raises(MatrixError) as info:
        parse_matrix(text, "m.yaml")
    return info.value


def test_the_shipped_matrix_has_the_three_default_cells_with_tiers_per_portal() -> None:
    matrix = load_matrix(ROOT / "matrix" / "default.yaml")
    cells = {c.id: c for c in matrix.select("default")}
    assert list(cells) == ["chrome-desktop", "ios-webkit", "android-chrome"]
    assert cells["chrome-desktop"].tier(Portal.PROVIDER) is Tier.RECOMMENDED
    assert cells["ios-webkit"].browser == "webkit"
    assert (
        cells["ios-webkit"].device.viewport.width == 390 and cells["ios-webkit"].device.scale == 3
    )
    assert cells["android-chrome"].tier(Portal.CLIENT) is Tier.SUPPORTED
    assert cells["android-chrome"].tier(Portal.PROVIDER) is Tier.NOT_RECOMMENDED
    assert [c.id for c in matrix.select("quick")] == ["chrome-desktop"]


def test_overrides_and_the_stricter_tier_for_tests_spanning_portals() -> None:
    cell = parse_matrix(GOOD).cells["phone"]
    assert str(cell.device.viewport) == "375x667"
    assert cell.device.touch and cell.device.user_agent and "iPhone" in cell.device.user_agent
    assert cell.tier(None) is Tier.SUPPORTED


def test_cells_win_over_the_cell_set_and_unknown_names_are_errors() -> None:
    matrix: Matrix = parse_matrix(GOOD)
    assert [c.id for c in matrix.select("default", ["phone"])] == ["phone"]
    with pytest.raises(MatrixError, match=r"unknown cell\(s\) phon.*did you mean 'phone'"):
        matrix.select(None, ["phon"])
    with pytest.raises(MatrixError, match=r"unknown cell set 'defalt'.*did you mean 'default'"):
        matrix.select("defalt")


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD.replace("iPhone 14", "iPhone 41"), 4, "unknown device 'iPhone 41'. Fix: use one of"),
        (
            GOOD.replace("    viewport: 375x667", "    viewpor: 375x667"),
            8,
            "unknown key 'viewpor' in cell 'phone'. Fix: remove it or use one of",
        ),
        (GOOD.replace("browser: webkit", "browser: safari"), 5, "unknown browser 'safari'"),
        (GOOD.replace("[playwright, webkitgtk]", "[playwrite]"), 6, "unknown engine 'playwrite'"),
        (
            GOOD.replace("provider: not-recommended", "provider: great"),
            7,
            "tier for provider portal is 'great'",
        ),
        (GOOD.replace("375x667", "wide"), 8, "bad viewport 'wide'. Fix: write it as WIDTHxHEIGHT"),
        (GOOD + "  other: [nope]\n", 11, "cell set 'other' names unknown cell 'nope'"),
        (GOOD + "  other: [phone, phone]\n", 11, "lists cell 'phone' twice"),
        (
            GOOD.replace("cell_sets:", "  phone:\n    device: Pixel 7\ncell_sets:"),
            9,
            "duplicate key 'phone' (first on line 3)",
        ),
        ("cells: [\n", 2, "not valid YAML"),
        ("- a\n- b\n", 1, "must be a mapping"),
    ],
)
def test_each_mistake_names_file_line_and_fix(text: str, line: int, fragment: str) -> None:
    message = str(_error(text))
    assert message.startswith(f"m.yaml:{line}: "), message
    assert fragment in message
    assert "Fix:" in message


def test_every_problem_is_reported_at_once() -> None:
    text = GOOD.replace("iPhone 14", "iPhone 41") + "  other: [phone]\nextra: 1\n"
    err = _error(text)
    assert len(err.problems) >= 2
    assert "unknown key 'extra'" in str(err)


def test_a_missing_file_is_a_matrix_error(tmp_path: Path) -> None:
    with pytest.raises(MatrixError, match="cannot read the matrix file"):
        load_matrix(tmp_path / "nope.yaml")


def test_remote_cells_need_a_url() -> None:
    text = GOOD.replace("[playwright, webkitgtk]", "[webdriver]")
    assert "uses a remote engine without 'remote:'" in str(_error(text))
    text = GOOD.replace("    viewport: 375x667", "    remote: {url: grid.local:4444}")
    assert "is not a URL" in str(_error(text))


def test_the_old_profiles_key_still_loads_with_a_deprecation_note() -> None:
    matrix = parse_matrix(GOOD.replace("cell_sets:", "profiles:"), "m.yaml")
    assert matrix.cell_sets == {"default": ("phone",)}
    assert matrix.deprecations == (
        "m.yaml:9: 'profiles' in the matrix is the old spelling of 'cell_sets'. Fix: rename it "
        "to 'cell_sets' (the old key is read for one more release)",
    )
    assert parse_matrix(GOOD).deprecations == ()


def test_both_the_old_and_the_new_key_is_an_error() -> None:
    message = str(_error(GOOD + "profiles:\n  quick: [phone]\n"))
    assert message.startswith("m.yaml:11: 'profiles' and 'cell_sets' (line 9) both in the matrix")
    assert "Fix: keep one: move its entries under 'cell_sets' and remove 'profiles'" in message


def test_the_shipped_matrix_uses_no_old_spelling() -> None:
    assert load_matrix(ROOT / "matrix" / "default.yaml").deprecations == ()
