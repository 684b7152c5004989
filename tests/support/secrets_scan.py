"""One check for every self-test run that uses secrets: no file the run wrote (zip members
included, nested too) and nothing it printed holds a secret value, raw or in the encodings a
browser, a log or a report would give it."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus


def produced_files(*folders: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under the folders, and every member of every zip (nested too), as bytes."""
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                yield str(path), data
                if zipfile.is_zipfile(io.BytesIO(data)):
                    yield from _zip_members(str(path), data)


def _zip_members(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for member in zf.namelist():
            inner = zf.read(member)
            yield f"{name}!{member}", inner
            if zipfile.is_zipfile(io.BytesIO(inner)):
                yield from _zip_members(f"{name}!{member}", inner)


def _forms(secret: str) -> set[bytes]:
    text = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        base64.b64encode(secret.encode()).decode(),
    }
    return {t.encode() for t in text} | {secret.encode("utf-16-le")}


def assert_no_secret(
    secrets: Iterable[str], *folders: Path, printed: str = "", min_files: int = 1
) -> None:
    """Fail naming every file (or the output) that holds one of the secrets."""
    forms = {form for secret in secrets for form in _forms(secret)}
    assert forms, "no secret to look for"
    files = list(produced_files(*folders))
    assert len(files) >= min_files, f"only {len(files)} file(s) under {folders}: nothing to check"
    leaks = [name for name, data in files if any(f in data for f in forms)]
    if any(f in printed.encode() for f in forms):
        leaks.append("(the run's output)")
    assert not leaks, f"a secret is in: {leaks}"
