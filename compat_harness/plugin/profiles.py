"""Paired journeys: ``@pytest.mark.paired`` runs a journey in a fresh profile and in one with
stored data from an earlier visit (the ``profile`` fixture says which)."""

from __future__ import annotations

import pytest

from compat_harness.profiles import Profile


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "paired: run the journey in a fresh (incognito) profile and in one carrying stored data "
        "from an earlier visit; the report gives the pair a verdict",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "profile" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("paired") is None:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid} uses `profile`: mark it @pytest.mark.paired"
        )
    metafunc.parametrize("profile", list(Profile), ids=[p.value for p in Profile], indirect=True)


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> Profile:
    """Which profile this run of a paired journey uses."""
    return Profile(request.param)
