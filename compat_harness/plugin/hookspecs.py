"""The hooks the harness's plugin calls on other plugins."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from compat_harness.target import Target


@pytest.hookspec(firstresult=True)
def pytest_compat_embedded_target(
    config: pytest.Config,
) -> contextlib.AbstractContextManager[Target] | None:
    """The target the harness starts itself when no target URLs are given (e.g. a project's
    reference app): a context manager that starts it, yields its ``Target`` and stops it."""
