"""Built-in devices: what a cell emulates (viewport, pixel ratio, touch, user agent).

Names follow the way people describe their device. A matrix file may add its own under
``devices:``; these are the defaults the product's support guidance talks about.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

IOS_SAFARI_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
IPADOS_SAFARI_UA = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
MACOS_SAFARI_UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"
)
ANDROID_CHROME_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)
SMALL_ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)


@dataclass(frozen=True)
class Viewport:
    """A size in CSS pixels."""

    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True)
class Device:
    """What a cell emulates. ``user_agent`` None keeps the engine's own."""

    name: str
    viewport: Viewport
    scale: float = 1.0
    touch: bool = False
    mobile: bool = False
    user_agent: str | None = None
    platform: str = ""
    locale: str = "en-US"
    timezone: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def with_overrides(self, **overrides: Any) -> Device:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "platform": self.platform,
            "viewport": str(self.viewport),
            "scale": self.scale,
            "touch": self.touch,
            "mobile": self.mobile,
            "user_agent": self.user_agent,
            "locale": self.locale,
            "timezone": self.timezone,
        }


BUILTIN_DEVICES: dict[str, Device] = {
    d.name: d
    for d in (
        Device("Desktop 1440", Viewport(1440, 900), platform="macOS / Windows desktop"),
        Device(
            "Desktop Safari 1440",
            Viewport(1440, 900),
            user_agent=MACOS_SAFARI_UA,
            platform="macOS desktop",
        ),
        Device(
            "iPhone 14",
            Viewport(390, 844),
            scale=3,
            touch=True,
            mobile=True,
            user_agent=IOS_SAFARI_UA,
            platform="iOS 17 · iPhone",
        ),
        Device(
            "iPad Air",
            Viewport(820, 1180),
            scale=2,
            touch=True,
            mobile=True,
            user_agent=IPADOS_SAFARI_UA,
            platform="iPadOS 17 · iPad",
        ),
        Device(
            "Pixel 7",
            Viewport(412, 915),
            scale=2.625,
            touch=True,
            mobile=True,
            user_agent=ANDROID_CHROME_UA,
            platform="Android 14 · Pixel-class phone",
        ),
        Device(
            "Galaxy A14",
            Viewport(360, 800),
            scale=2,
            touch=True,
            mobile=True,
            user_agent=SMALL_ANDROID_UA,
            platform="Android 13 · small phone",
        ),
    )
}
