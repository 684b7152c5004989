"""Page objects: the product's pages described by their visible wording (roles, labels, names),
written once against the neutral session so every journey runs on every engine."""

from compat_harness.pages.layout import LayoutReport, measure_layout
from compat_harness.pages.login import PORTAL_TEXT, LoginPage, PortalText
from compat_harness.pages.shell import AppShell

__all__ = ["PORTAL_TEXT", "AppShell", "LayoutReport", "LoginPage", "PortalText", "measure_layout"]
