"""Paired journeys: ``@pytest.mark.paired`` runs a journey in a fresh profile and in one with
stored data from an earlier visit (the ``profile`` fixture says which).

``--both-profiles`` pairs every selected browser journey the same way (support's repro runs any
journey both ways): the stored run of a journey that is not itself paired starts with an earlier
visit, by the account of the journey's portal, in the session the journey then uses.
"""

from __future__ import annotations

from typing import Any

import pytest

from compat_harness.matrix import Portal
from compat_harness.outcomes import not_run
from compat_harness.plugin.settings import settings_of
from compat_harness.profiles import Profile


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "paired: run the journey in a fresh (incognito) profile and in one carrying stored data "
        "from an earlier visit; the report gives the pair a verdict",
    )


def _pairs_by_option(metafunc: pytest.Metafunc) -> bool:
    """A browser journey that --both-profiles pairs although it is not marked paired."""
    return (
        settings_of(metafunc.config).both_profiles
        and metafunc.definition.get_closest_marker("paired") is None
        and "session" in metafunc.fixturenames
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if _pairs_by_option(metafunc):
        # The journey does not ask for `profile`; adding it to the fixture closure lets it be
        # parametrized like a paired journey (the stored run's earlier visit is done below).
        metafunc.fixturenames.append("profile")
    elif "profile" not in metafunc.fixturenames:
        return
    elif metafunc.definition.get_closest_marker("paired") is None:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid} uses `profile`: mark it @pytest.mark.paired"
        )
    metafunc.parametrize("profile", list(Profile), ids=[p.value for p in Profile], indirect=True)


@pytest.fixture
def profile(request: pytest.FixtureRequest) -> Profile:
    """Which profile this run of a paired journey uses."""
    return Profile(request.param)


def _journey_portal(item: pytest.Item) -> Portal:
    """The portal whose account the earlier visit signs in with: the test's portal parameter,
    else its journey marker's portal, else the client portal (where journeys start)."""
    callspec = getattr(item, "callspec", None)
    param = callspec.params.get("portal") if callspec else None
    marker = item.get_closest_marker("journey")
    declared = param or (marker.kwargs.get("portal") if marker else None)
    return Portal(declared) if declared else Portal.CLIENT


@pytest.fixture(autouse=True)
def _compat_stored_profile(request: pytest.FixtureRequest) -> None:
    """--both-profiles: the stored run of a journey that is not itself paired first makes the
    earlier visit that fills the profile (natively paired journeys make their own)."""
    item = request.node
    callspec = getattr(item, "callspec", None)
    if callspec is None or callspec.params.get("profile") != Profile.STORED.value:
        return
    if item.get_closest_marker("paired") is not None:
        return
    from compat_harness.pages.history import earlier_visit

    portal = _journey_portal(item)
    try:
        account: Any = request.getfixturevalue(f"{portal.value}_account")
    except pytest.FixtureLookupError:
        not_run(
            f"the stored-data run needs a `{portal.value}_account` fixture for its earlier visit"
        )
    session = request.getfixturevalue("session")
    target = request.getfixturevalue("target")
    earlier_visit(session, target, portal, account.email, account.password)
