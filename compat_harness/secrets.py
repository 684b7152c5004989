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


# The names the harness reads from a secrets file (and the environment).
SECRET_NAMES = tuple(
    f"COMPAT_{portal}_{what}" for portal in ("CLIENT", "PROVIDER") for what in ("EMAIL", "PASSWORD")
)


class SecretsFileError(ValueError):
    """A secrets file that cannot be used; the message names the file, the line and the fix
    (never a value: the line may hold a secret)."""


def load_secrets_file(path: str | Path) -> dict[str, str]:
    """``KEY=value`` lines (``#`` comments); every value becomes a secret."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SecretsFileError(
            f"--secrets-file {path}: cannot read it ({why}). Fix: give a readable file of "
            f"KEY=value lines ({', '.join(SECRET_NAMES)})"
        ) from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key = key.strip()
        if not sep or not key:
            raise SecretsFileError(
                f"{path}:{number}: not a KEY=value line. Fix: write e.g. "
                "COMPAT_CLIENT_PASSWORD=... (or # for a comment)"
            )
        if key.startswith("COMPAT_") and key not in SECRET_NAMES:
            raise SecretsFileError(
                f"{path}:{number}: unknown secret {key}. Fix: use one of {', '.join(SECRET_NAMES)}"
            )
        values[key] = value.strip().strip('"').strip("'")
    for value in values.values():
        REDACTOR.add(value)
    return values


def secret(name: str, file_values: dict[str, str] | None = None) -> str | None:
    """A secret by name: the environment first, then the secrets file. Registered for redaction."""
    value = os.environ.get(name) or (file_values or {}).get(name)
    REDACTOR.add(value)
    return value
