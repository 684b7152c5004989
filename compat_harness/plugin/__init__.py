"""The harness's pytest plugin, one module per concern. The project's conftest.py registers it
(``import pytest


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from compat_harness.plugin import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


pytest_plugins = ["compat_harness.plugin"]``); elsewhere use ``-p compat_harness.plugin``."""

import pytest


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from compat_harness.plugin import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


pytest_plugins = [
    "compat_harness.plugin.settings",
    "compat_harness.plugin.interrupts",
    "compat_harness.plugin.cells",
    "compat_harness.plugin.target",
    "compat_harness.plugin.sentinels",
    "compat_harness.plugin.browsers",
    "compat_harness.plugin.profiles",
    "compat_harness.plugin.selection",
    "compat_harness.plugin.versions",
    "compat_harness.plugin.results",
    "compat_harness.plugin.allure",
]
