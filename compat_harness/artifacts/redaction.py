"""Secrets out of every file a test keeps: the recorder's own logs are redacted as they are written;
files written by others (pytest-playwright's traces, HARs) are checked and cleaned at the end of
the test."""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path

from compat_harness.secrets import REDACTOR
from compat_harness.session.base import Session


def write_dom(session: Session, path: str) -> None:
    html = session.evaluate("() => document.documentElement.outerHTML")
    Path(path).write_text(REDACTOR.redact(str(html)), encoding="utf-8")


def write_har(source: Path, target: str) -> None:
    """The HAR with request bodies dropped and secrets masked (also URL-encoded ones)."""
    data = json.loads(source.read_text(encoding="utf-8"))
    for entry in data.get("log", {}).get("entries", []):
        post = entry.get("request", {}).get("postData")
        if post:
            post.pop("params", None)
            post["text"] = "(left out by the harness: request bodies may hold credentials)"
    text = json.dumps(data, indent=1)
    for value in REDACTOR.values():
        for form in {urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)} - {value}:
            text = text.replace(form, "***")
    Path(target).write_text(REDACTOR.redact(text), encoding="utf-8")
    os.remove(source)


# --- secrets in files written by others (pytest-playwright's traces) -------------------------------

_TEXT_SUFFIXES = {".txt", ".html", ".har", ".json", ".trace", ".network", ".stacks", ".md", ".xml"}
SCRUB_NOTE = "REDACTED-BY-COMPAT.txt"


def scrub_secrets(path: Path) -> str | None:
    """Make sure a kept file holds no secret value: text is redacted, a zip (a Playwright trace)
    has its members redacted (binary members holding one are dropped), any other file holding
    one is deleted. Returns a note of what was done, None when the file was clean."""
    if not REDACTOR.values() or not path.is_file():
        return None
    if path.suffix == ".zip":
        return _scrub_zip(path)
    data = path.read_bytes()
    if not REDACTOR.found_in(data):
        return None
    if path.suffix in _TEXT_SUFFIXES:
        path.write_text(REDACTOR.redact(data.decode("utf-8", "replace")), encoding="utf-8")
        return f"{path.name}: secret values replaced by {REDACTOR.mask}"
    path.unlink()
    return f"{path.name}: deleted, it held a secret value"


def _scrub_zip(path: Path) -> str | None:
    import zipfile

    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    changed: list[str] = []
    out: list[tuple[zipfile.ZipInfo, bytes]] = []
    for info, data in members:
        if not REDACTOR.found_in(data):
            out.append((info, data))
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            changed.append(f"{info.filename} (dropped)")
            continue
        out.append((info, REDACTOR.redact(text).encode("utf-8")))
        changed.append(info.filename)
    if not changed:
        return None
    note = (
        "The harness replaced secret values (test account passwords) in these members of this "
        f"archive with {REDACTOR.mask} before keeping it:\n" + "\n".join(changed) + "\n"
    )
    tmp = path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in out:
            target.writestr(info, data)
        target.writestr(SCRUB_NOTE, note)
    os.replace(tmp, path)
    return f"{path.name}: secret values replaced by {REDACTOR.mask} in {', '.join(changed)}"
