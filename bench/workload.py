"""The navigations both sides of the benchmark perform, once per test: open the login page, sign
in, open the Schedule, sign out. Shared so the harness suite and the bare script stay identical."""

from __future__ import annotations

REPEATS = 12  # tests per portal per cell
PORTAL_TEXT = {
    "client": ("Sign in to Haven", "haven_client_session"),
    "provider": ("Provider sign in", "haven_provider_session"),
}
