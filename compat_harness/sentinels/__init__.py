"""Page sentinels: on every page a journey visits, on every engine, what a person would see broken
(uncaught script errors and unhandled rejections, failed or 4xx/5xx requests to the target, a page
left loading, a layout that does not fit the device), each a failure of the test with its own
kind in the results. ``core`` judges, ``page.js`` watches in the page, ``proxy`` brings the watch
into WebDriver cells' pages, ``allowlist`` accepts known noise with a reason and an end date."""

from compat_harness.sentinels.allowlist import SentinelAllowlist, load_sentinel_allowlist
from compat_harness.sentinels.core import (
    BEACON_PATH,
    ExpectedAnswer,
    PageWatch,
    Sentinel,
    SentinelFailure,
    SentinelSettings,
    describe,
)

__all__ = [
    "BEACON_PATH",
    "ExpectedAnswer",
    "PageWatch",
    "Sentinel",
    "SentinelAllowlist",
    "SentinelFailure",
    "SentinelSettings",
    "describe",
    "load_sentinel_allowlist",
]
