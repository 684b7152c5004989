"""Secrets (test account passwords) and their redaction from everything the harness writes.

Values come from the environment or a secrets file, never from the matrix. Every value registered
here is replaced by ``***`` in error messages, logs and reports before they leave the process that
saw them (the xdist worker), so the controller and the report files never hold them.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from urllib.parse import quote, quote_plus

MASK = "***"
_MIN_LENGTH = 4  # shorter values would mask ordinary words


class Redactor:
    """Values to hide, and the text with them replaced by ``mask`` (also their URL-encoded
    forms, as they appear in query strings and form bodies)."""

    def __init__(self, mask: str = MASK, *, ignore_case: bool = False, words: bool = False) -> None:
        self.mask = mask
        self._flags = re.IGNORECASE if ignore_case else 0
        # Whole words only: a name like "Chen" is not hidden inside "kitchen".
        self._edges = (r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])") if words else ("", "")
        self._values: set[str] = set()
        self._forms: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None) -> None:
        if not value or len(value) < _MIN_LENGTH:
            return
        with self._lock:
            if value not in self._values:
                self._values.add(value)
                self._forms |= {value, quote(value, safe=""), quote_plus(value)}
                self._pattern = None

    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def forms(self) -> frozenset[str]:
        """Every value with its URL-encoded forms: what a scan of a file looks for."""
        return frozenset(self._forms)

    def redact(self, text: str) -> str:
        if not self._values or not text:
            return text
        with self._lock:
            if self._pattern is None:
                ordered = sorted(self._forms, key=len, reverse=True)
                alternatives = "|".join(re.escape(v) for v in ordered)
                self._pattern = re.compile(
                    f"{self._edges[0]}(?:{alternatives}){self._edges[1]}", self._flags
                )
            pattern = self._pattern
        return pattern.sub(self.mask, text)

    def found_in(self, data: bytes) -> bool:
        """Whether raw bytes (a file) hold any value or its URL-encoded form."""
        if not self._values:
            return False
        # UTF-8 for values with non-ASCII characters; Latin-1 reads any byte (binary files).
        texts = (data.decode("utf-8", "replace"), data.decode("latin-1"))
        return any(self.redact(text) != text for text in texts)


REDACTOR = Redactor()
# Personal data the harness itself knows (the test accounts' names and emails): masked from the
# text of support bundles, as the screenshots are (see compat_harness.support.masking).
PERSONAL = Redactor("[personal data]", ignore_case=True, words=True)


def load_secrets_file(path: str | Path) -> dict[str, str]:
    """``KEY=value`` lines (``#`` comments); every value becomes a secret."""
    values: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    for value in values.values():
        REDACTOR.add(value)
    return values


def secret(name: str, file_values: dict[str, str] | None = None) -> str | None:
    """A secret by name: the environment first, then the secrets file. Registered for redaction."""
    value = os.environ.get(name) or (file_values or {}).get(name)
    REDACTOR.add(value)
    return value
