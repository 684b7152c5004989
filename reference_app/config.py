"""Start-up configuration of one reference-app process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .defects import BY_NAME, PortalName, UnknownDefectError

Mode = Literal["test", "production"]
MODES: tuple[Mode, ...] = ("test", "production")


@dataclass(frozen=True)
class AppConfig:
    """Mode, active defects, the two portals' public URLs and the database file."""

    db_path: Path
    client_url: str
    provider_url: str
    mode: Mode = "test"
    defects: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        unknown = set(self.defects) - BY_NAME.keys()
        if unknown:
            raise UnknownDefectError(unknown)
        object.__setattr__(self, "client_url", self.client_url.rstrip("/"))
        object.__setattr__(self, "provider_url", self.provider_url.rstrip("/"))

    @property
    def test_mode(self) -> bool:
        """Whether the `/__test__/` hooks are served."""
        return self.mode == "test"

    def defect(self, name: str) -> bool:
        """Whether the named defect is switched on (a KeyError for names not in the catalog)."""
        if name not in BY_NAME:
            raise KeyError(f"no such defect: {name}")
        return name in self.defects

    def url(self, portal: PortalName) -> str:
        """The base URL of a portal (no trailing slash)."""
        return self.client_url if portal == "client" else self.provider_url
