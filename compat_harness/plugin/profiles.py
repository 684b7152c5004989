"""Paired journeys: ``@pytest.mark.paired`` runs a journey in a fresh profile and in the
stored-data profiles an earlier visit leaves: one that signed out, one that closed the tab still
signed in (the ``profile`` fixture says which). ``@pytest.mark.paired(profiles=[...])`` names the
stored profiles that apply to the journey, when not all do.

``--both-profiles`` pairs every selected browser journey the same way (support's repro runs any
journey both ways): the stored runs of a journey that is not itself paired start with an earlier
visit, by the account of the journey's portal, in the session the journey then uses. A journey
marked ``starts_signed_out`` (the login pages: a person there is not signed in) is paired with the
profile that signed out only.
"""

from __future__ import annotations

import enum
from typing import Any

import pytest

from compat_harness.matrix import Portal
from compat_harness.outcomes import not_run
from compat_harness.plugin.settings import settings_of
from compat_harness.profiles import STORED_PROFILES, Profile


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "paired(profiles=None): run the journey in a fresh (incognito) profile and in profiles "
        "carrying stored data from an earlier visit (`stored`: it signed out; `tab_closed`: it "
        "closed the tab still signed in; `profiles` names the stored ones that apply, default "
        "both); the report gives each pair a verdict",
    )
    config.addinivalue_line(
        "markers",
        "starts_signed_out: the journey is about a signed-out browser (login pages); "
        "--both-profiles pairs it only with the stored profile that signed out",
    )


def _named_profiles(marker: pytest.Mark) -> list[Profile] | None:
    """The stored profiles ``paired(profiles=...)`` names; None when they are not some of them."""
    named = marker.kwargs.get("profiles")
    if named is None:
        return list(STORED_PROFILES)
    try:
        stored = [Profile(p) for p in named]
    except (TypeError, ValueError):
        return None
    return stored if stored and Profile.INCOGNITO not in stored else None


def _profiles(metafunc: pytest.Metafunc) -> list[Profile]:
    """The fresh profile and the stored profiles that apply to the journey (a wrong marker is
    refused once collected: see pytest_collection_modifyitems)."""
    marker = metafunc.definition.get_closest_marker("paired")
    if marker is None:
        signed_out = metafunc.definition.get_closest_marker("starts_signed_out") is not None
        return [Profile.INCOGNITO, *((Profile.STORED,) if signed_out else STORED_PROFILES)]
    return [Profile.INCOGNITO, *(_named_profiles(marker) or STORED_PROFILES)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A mistaken paired marker is a usage error (exit 4) naming the test and the fix."""
    for item in items:
        marker = item.get_closest_marker("paired")
        uses_profile = "profile" in getattr(item, "fixturenames", ())
        if uses_profile and marker is None and not settings_of(config).both_profiles:
            raise pytest.UsageError(f"{item.nodeid} uses `profile`: mark it @pytest.mark.paired")
        if marker is not None and _named_profiles(marker) is None:
            raise pytest.UsageError(
                f"{item.nodeid}: @pytest.mark.paired(profiles=...) names the stored profiles "
                f"that apply, some of: {', '.join(STORED_PROFILES)} "
                f"(got {marker.kwargs.get('profiles')!r})"
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
    profiles = _profiles(metafunc)
    metafunc.parametrize("profile", profiles, ids=[p.value for p in profiles], indirect=True)


def pair_of(item: pytest.Item) -> str | None:
    """What every profile's run of one paired journey on one cell shares, read from the
    parametrisation (not the id text): the test, with its other parameters than the cell and the
    profile; None for a test that is not paired."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or "profile" not in callspec.params:
        return None
    definition = item.nodeid.removesuffix(item.name) + getattr(item, "originalname", item.name)
    rest = [
        _param_label(name, value, callspec.indices[name])
        for name, value in callspec.params.items()
        if name not in ("cell", "profile")
    ]
    return f"{definition}[{'-'.join(rest)}]" if rest else definition


def _param_label(name: str, value: object, index: int) -> str:
    """A parameter as pytest names it by default: the value where it is plain, else the
    argument's name and index (distinct values give distinct labels either way)."""
    if value is None or isinstance(value, str | int | float | bool | enum.Enum):
        return str(value)
    label = getattr(value, "id", None)  # a Cell
    return label if isinstance(label, str) else f"{name}{index}"


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
    """--both-profiles: the stored runs of a journey that is not itself paired first make the
    earlier visit that fills the profile (natively paired journeys make their own)."""
    item = request.node
    callspec = getattr(item, "callspec", None)
    profile = (
        Profile(callspec.params["profile"]) if callspec and "profile" in callspec.params else None
    )
    if profile is None or not profile.stored:
        return
    if item.get_closest_marker("paired") is not None:
        return
    from compat_harness.pages.history import visit_before

    portal = _journey_portal(item)
    try:
        account: Any = request.getfixturevalue(f"{portal.value}_account")
    except pytest.FixtureLookupError:
        not_run(
            f"the stored-data run needs a `{portal.value}_account` fixture for its earlier visit"
        )
    session = request.getfixturevalue("session")
    target = request.getfixturevalue("target")
    visit_before(session, target, portal, account.email, account.password, profile)
