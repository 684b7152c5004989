"""How a suite says a journey does not apply to a cell, or could not run, with the reason."""

from __future__ import annotations

from typing import NoReturn

import pytest

from compat_harness.results import NOT_APPLICABLE_PREFIX, NOT_RUN_PREFIX


def not_applicable(reason: str) -> NoReturn:
    """The journey does not apply to this cell (e.g. a touch check on a desktop)."""
    pytest.skip(NOT_APPLICABLE_PREFIX + reason)


def not_run(reason: str) -> NoReturn:
    """The journey could not run here (engine missing, refused against production...)."""
    pytest.skip(NOT_RUN_PREFIX + reason)
