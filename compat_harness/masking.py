"""Masked screenshots: personal and health data painted over before a picture is kept.

What is masked: the app's known personal fields (compat_harness/pages/personal.py), the CSS
selectors of a masking file (``matrix/masking.yaml``) and of ``--mask``, and every element whose
text holds a personal value the harness knows (the test accounts' names and emails).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from compat_harness.pages.personal import personal_fields
from compat_harness.secrets import PERSONAL
from compat_harness.session.base import Locator, Query, Session


class MaskingError(ValueError):
    """A masking file that cannot be used; the message names the file and the fix."""


@dataclass(frozen=True)
class Masking:
    """Extra CSS selectors to mask, besides the app's known fields."""

    selectors: tuple[str, ...] = ()
    source: str = ""

    def locators(self, session: Session) -> list[Locator]:
        found = personal_fields(session)
        found += [session.locator(Query("css", s)) for s in self.selectors]
        found += [session.locator(Query("text", v)) for v in sorted(PERSONAL.values())]
        return found


def load_masking(
    path: Path | None, extra: tuple[str, ...] = (), *, required: bool = False
) -> Masking:
    """The masking file's selectors (``selectors:`` list) plus ``extra``; no file, only extra
    (unless ``required``: a file the user named must be there)."""
    selectors: list[str] = []
    if required and path is not None and not path.is_file():
        raise MaskingError(
            f"{path}: no such masking file. Fix: give --mask-file an existing YAML file with a "
            "'selectors:' list (see matrix/masking.yaml), or drop the flag"
        )
    if path is not None and path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise MaskingError(f"{path}: not valid YAML ({exc})") from None
        if not isinstance(data, dict) or set(data) - {"version", "selectors"}:
            raise MaskingError(
                f"{path}: expected the keys 'version' and 'selectors' (a list of CSS selectors)"
            )
        raw = data.get("selectors") or []
        if not isinstance(raw, list) or not all(isinstance(s, str) and s.strip() for s in raw):
            raise MaskingError(f"{path}: 'selectors' must be a list of CSS selector strings")
        selectors += [s.strip() for s in raw]
    selectors += [s.strip() for s in extra if s.strip()]
    return Masking(tuple(dict.fromkeys(selectors)), str(path) if path else "")


def masked_screenshot(session: Session, path: str, masking: Masking) -> None:
    """A viewport screenshot with every personal field painted over."""
    session.screenshot(path, mask=masking.locators(session))
