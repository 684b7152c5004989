"""What a test leaves behind on every engine: screenshot, DOM, console messages, network log,
video (and, on Playwright cells, pytest-playwright's trace) in one folder per test and cell.

The recorder (``recorder``) keeps what the modes and the outcome say; each engine fills a
``Capture`` (``capture``) for every session it opens; ``logs`` writes the console and network
logs, ``video`` records a virtual screen, ``redaction`` keeps secrets out of every kept file.
"""

from compat_harness.artifacts.capture import Capture
from compat_harness.artifacts.recorder import SCREENSHOT_MODE, ArtifactsRecorder
from compat_harness.artifacts.redaction import SCRUB_NOTE, scrub_secrets

__all__ = ["SCREENSHOT_MODE", "SCRUB_NOTE", "ArtifactsRecorder", "Capture", "scrub_secrets"]
