"""One session's recording, filled by the engine that opened it: console messages and uncaught
errors, network requests, and (where the engine records it) a HAR and a video. The recorder reads
it at the end of the test; the log headers say what the engine could record and what it could
not."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from compat_harness.artifacts.video import ScreenVideo
    from compat_harness.session.base import Session


@dataclass
class Capture:
    """What one session recorded. Engines subclass it to say how they record and to pull what is
    still pending in the browser (``harvest``)."""

    session: Session
    console: list[dict[str, Any]] = field(default_factory=list)
    network: list[dict[str, Any]] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    har: Path | None = None
    video: ScreenVideo | None = None
    # What the page sentinel's script and the network reported, not yet judged (core.Sentinel).
    events: list[dict[str, Any]] = field(default_factory=list)
    # (document, number) of the page script's events handed on: a page can report one twice.
    _handed: set[tuple[str, int]] = field(default_factory=set, repr=False)

    def drain_events(self) -> list[dict[str, Any]]:
        """The events that arrived since the last call, each once (no call to the browser where
        the engine delivers them as they happen)."""
        # Emptied in place: engines hold on to this list to append to it as events arrive.
        events = list(self.events)
        del self.events[: len(events)]
        return [e for e in events if self._first(e)]

    def _first(self, event: dict[str, Any]) -> bool:
        seq = event.get("seq")
        if not isinstance(seq, int):
            return True  # not numbered: the network's, or the page's state
        key = (str(event.get("doc")), seq)
        if key in self._handed:
            return False
        self._handed.add(key)
        return True

    def flush_events(self) -> list[dict[str, Any]]:
        """Ask the page for what it still holds and its busy state (one call to the browser)."""
        return self.drain_events()

    def harvest(self) -> None:
        """Pull what the browser still holds before the session closes (no-op where events
        arrive as they happen)."""

    def console_header(self) -> list[str]:
        """How the console log was recorded and its limits (``# ``-prefixed lines)."""
        return []

    def network_header(self) -> list[str]:
        """How the network log was recorded and its limits (``# ``-prefixed lines)."""
        return []

    def stop(self) -> Path | None:
        """Stop recording; the video file if one was recorded."""
        return self.video.stop() if self.video is not None else None
