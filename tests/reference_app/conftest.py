"""Fixtures for the reference-app tests (no browsers: TestClient against the ASGI apps)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator

import pytest

# Starlette's TestClient still works on httpx 0.28; its nudge towards httpx2 is noise here.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

from refapp_support import RefApp, make_refapp  # noqa: E402

import reference_app.store  # noqa: E402

# In-process apps hash with a tiny scrypt cost to keep the suite fast (the cost is stored in
# each hash); the real process (test_refapp_process.py) keeps the production cost.
reference_app.store.SCRYPT_N = 2**8


@pytest.fixture
def make_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., RefApp]]:
    """Factory: `make_app(defects=(...), mode="test")`."""
    made: list[RefApp] = []

    def factory(defects: tuple[str, ...] = (), mode: str = "test") -> RefApp:
        app = make_refapp(tmp_path_factory.mktemp("refapp"), defects, mode)
        made.append(app)
        return app

    yield factory
    for app in made:
        app.store.close()


@pytest.fixture
def app(make_app: Callable[..., RefApp]) -> RefApp:
    """A clean test-mode app."""
    return make_app()
