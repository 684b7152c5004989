"""Does a page fit the device? No sideways scrolling, controls on screen and big enough to tap."""

from __future__ import annotations

from dataclasses import dataclass, field

from compat_harness.devices import Viewport
from compat_harness.session.base import Box, Locator, Session

MIN_TAP_TARGET = 44  # CSS px: Apple's HIG and WCAG 2.5.5


@dataclass
class LayoutReport:
    viewport: Viewport
    scroll_width: int
    overflowing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not self.problems


_MEASURE = """() => {
  const root = document.documentElement;
  const vw = root.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > vw + 1) {
      const id = el.id ? '#' + el.id : '';
      const cls = el.classList.length ? '.' + Array.from(el.classList).join('.') : '';
      wide.push(el.localName + id + cls + ' (right edge ' + Math.round(r.right) + 'px)');
    }
  }
  return {vw: vw, vh: window.innerHeight, sw: Math.max(root.scrollWidth, document.body.scrollWidth), wide: wide.slice(0, 5)};
}"""


def measure_layout(session: Session, controls: dict[str, Locator], *, touch: bool) -> LayoutReport:
    """Measure the current page; ``controls`` must be fully on screen (after scrolling to them
    vertically) and, on touch devices, at least 44x44 CSS px."""
    data = session.evaluate(_MEASURE)
    report = LayoutReport(Viewport(data["vw"], data["vh"]), data["sw"], data["wide"])
    if report.scroll_width > report.viewport.width + 1:
        report.problems.append(
            f"page scrolls sideways: content is {report.scroll_width}px wide in a "
            f"{report.viewport.width}px viewport ({'; '.join(report.overflowing) or 'no single element'})"
        )
    for name, locator in controls.items():
        box = locator.box()
        if box is None:
            report.problems.append(f"{name} is not rendered")
            continue
        if box.x < 0 or box.x + box.width > report.viewport.width + 1:
            report.problems.append(
                f"{name} is cut off horizontally ({_show(box)} in a {report.viewport.width}px viewport)"
            )
        if touch and (box.width < MIN_TAP_TARGET or box.height < MIN_TAP_TARGET):
            report.problems.append(
                f"{name} is {box.width:.0f}x{box.height:.0f}px: under {MIN_TAP_TARGET}px, too small to tap"
            )
    return report


def _show(box: Box) -> str:
    return f"x={box.x:.0f} width={box.width:.0f}"
