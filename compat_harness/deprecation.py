"""Old spellings still read for one more release: each use prints one line on stderr naming the new
spelling, once per process (a run that reads its settings twice still says it once)."""

from __future__ import annotations

import sys
from collections.abc import Iterable

_SAID: set[str] = set()


def say_deprecated(lines: Iterable[str]) -> None:
    """Print each deprecation line not printed yet in this process."""
    for line in lines:
        if line not in _SAID:
            _SAID.add(line)
            print(f"compat: deprecated: {line}", file=sys.stderr, flush=True)
