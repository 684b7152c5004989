"""How a suite says a journey does not apply to a cell, or could not run, with the reason."""

from __future__ import annotations

from typing import NoReturn

from compat_harness.plugin.record import Outcome, skip


def not_applicable(reason: str) -> NoReturn:
    """The journey does not apply to this cell (e.g. a touch check on a desktop)."""
    skip(Outcome.NOT_APPLICABLE, reason)


def not_run(reason: str) -> NoReturn:
    """The journey could not run here (engine missing, refused against production...)."""
    skip(Outcome.NOT_RUN, reason)
