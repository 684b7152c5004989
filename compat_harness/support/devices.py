"""A device as a person describes it ("iPhone, iOS 17, Safari", "Android Chrome", "Windows
Chrome") mapped to the matrix cell that comes closest, with what differs said plainly."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from compat_harness.matrix import Cell


class DeviceError(ValueError):
    """A description the matcher does not understand; the message lists what it does."""


# Words -> the kind of device. Checked in this order: the first kind with a word in the
# description wins ("iPad" before "iOS", a Galaxy A14 before any Android phone).
_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ipad", ("ipad", "ipados")),
    ("iphone", ("iphone", "ios")),
    ("small-android", ("galaxy a14", "a14", "small android", "small phone", "android go")),
    (
        "android",
        (
            "android",
            "pixel",
            "galaxy",
            "samsung",
            "oneplus",
            "xiaomi",
            "redmi",
            "motorola",
            "moto",
            "huawei",
            "oppo",
            "nokia",
        ),
    ),
    ("chromebook", ("chromebook", "chromeos", "chrome os")),
    ("mac", ("macbook", "imac", "mac mini", "macos", "mac os", "os x", "osx", "mac")),
    ("windows", ("windows", "win10", "win11", "surface", "pc")),
    ("linux", ("linux", "ubuntu", "debian", "fedora")),
    ("desktop", ("desktop", "laptop", "computer")),
)
# Words -> the browser the person uses. "samsung internet" before the plain words.
_BROWSERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Samsung Internet", ("samsung internet", "samsung browser")),
    ("Edge", ("edge", "microsoft edge")),
    ("Firefox", ("firefox", "mozilla")),
    ("Safari", ("safari",)),
    ("Opera", ("opera",)),
    ("Brave", ("brave",)),
    ("Chrome", ("chrome", "chromium", "google")),
)
_KIND_LABEL = {
    "ipad": "iPad",
    "iphone": "iPhone",
    "small-android": "small Android phone",
    "android": "Android phone",
    "chromebook": "Chromebook",
    "mac": "Mac",
    "windows": "Windows computer",
    "linux": "Linux computer",
    "desktop": "computer",
}
_CHROMIUM_BASED = ("Chrome", "Edge", "Opera", "Brave", "Samsung Internet")


@dataclass(frozen=True)
class DeviceMatch:
    """The cell chosen for a description, in order of preference, and what differs from it."""

    description: str
    kind: str  # a key of _KIND_LABEL
    browser: str  # as the person said it ("" when not said)
    cells: tuple[str, ...]  # candidate cells, closest first
    notes: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        said = f"{self.browser} on " if self.browser else ""
        noun = _KIND_LABEL[self.kind]
        return f"{said}{'an' if noun[0].lower() in 'aeiou' else 'a'} {noun}"

    def cell_in(self, cells: Mapping[str, Cell]) -> str:
        """The closest of the candidate cells that the matrix has."""
        for cell in self.cells:
            if cell in cells:
                return cell
        raise DeviceError(
            f"{self.description!r} means {' or '.join(self.cells)}, and the matrix has none of "
            f"them (it has {', '.join(cells)})"
        )


def _has(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


def _first(text: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    return next((name for name, words in table if any(_has(text, w) for w in words)), "")


def understood() -> str:
    """What the matcher understands, for help and error messages."""
    kinds = ", ".join(words[0] for _, words in _KINDS)
    browsers = ", ".join(name for name, _ in _BROWSERS)
    return (
        f"a device ({kinds}, or a phone name such as Pixel or Galaxy) and/or a browser "
        f'({browsers}), e.g. "iPhone, iOS 17, Safari", "Android Chrome", "Windows 11 Chrome", '
        '"MacBook Safari", "Firefox on Windows"'
    )


def match_device(description: str) -> DeviceMatch:
    """The cells closest to what a person reported, with notes on what differs."""
    text = " ".join(description.lower().replace(",", " ").split())
    kind, browser = _first(text, _KINDS), _first(text, _BROWSERS)
    if not kind and not browser:
        raise DeviceError(
            f"cannot tell a device or browser from {description!r}: use {understood()}"
        )
    notes: list[str] = []
    if not kind:  # a browser alone: the desktop one, which the product recommends
        kind = "desktop"
        notes.append(
            f'no device named: tested {browser} on a computer; say e.g. "iPhone {browser}" for a phone'
        )
    if kind in ("iphone", "ipad"):
        cells: tuple[str, ...] = (
            ("ios-webkit",) if kind == "iphone" else ("ipad-webkit", "ios-webkit")
        )
        if browser and browser != "Safari":
            notes.append(
                f"every browser on an {_KIND_LABEL[kind]} uses Apple's WebKit engine, so {browser} "
                "there is tested like Safari"
            )
    elif kind in ("android", "small-android"):
        cells = (
            ("small-android", "android-chrome") if kind == "small-android" else ("android-chrome",)
        )
        if browser == "Firefox":
            notes.append(
                "no Firefox for Android cell: the phone's screen, touch and user agent run on "
                "Chromium, so faults of Firefox's own engine cannot show"
            )
        elif browser in ("Safari",):
            notes.append("Safari does not run on Android: tested the phone's usual browser, Chrome")
        elif browser and browser != "Chrome":
            notes.append(f"{browser} is built on Chromium, the engine this cell runs")
    elif browser == "Firefox":
        cells = ("firefox-desktop",)
    elif browser == "Safari" or (kind == "mac" and not browser):
        cells = ("desktop-webkit", "chrome-desktop")
        if kind == "mac" and not browser:
            notes.append(
                'no browser named: tested Safari, the Mac\'s own; say "Mac Chrome" for Chrome'
            )
        if kind in ("windows", "linux", "chromebook"):
            notes.append(f"Safari does not run on a {_KIND_LABEL[kind]}: tested Safari on a Mac")
    else:
        cells = ("chrome-desktop",)
        if browser in _CHROMIUM_BASED and browser != "Chrome":
            notes.append(f"{browser} is built on Chromium, the engine this cell runs")
        if kind == "chromebook":
            notes.append("a Chromebook runs desktop Chrome: tested desktop Chrome")
    return DeviceMatch(description, kind, browser, cells, tuple(notes))


# What the --list output shows: descriptions people use and where they land.
EXAMPLES = (
    "iPhone, iOS 17, Safari",
    "iPhone 13 Chrome",
    "iPad",
    "Android Chrome",
    "Samsung Galaxy",
    "Galaxy A14",
    "Pixel 8 Chrome",
    "Windows 11 Chrome",
    "Windows Edge",
    "Chromebook",
    "MacBook Safari",
    "Mac Chrome",
    "Firefox on Windows",
)
