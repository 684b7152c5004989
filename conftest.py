"""Registers the harness plugin and the suites' fixtures; the harness lives in compat_harness/."""

pytest_plugins = ["compat_harness.plugin", "reference_app.pytest_plugin", "fixtures.accounts"]
