"""Place the system's ffmpeg where Playwright looks for its own build, for video recording.

Playwright records video with an ffmpeg it downloads next to its browsers. Where that download is
impossible, Debian's ffmpeg (built with libvpx) encodes the same VP8 stream. Run as
``python -m compat_harness.engines.ffmpeg_link``; it does nothing when Playwright's own ffmpeg exists.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path


def playwright_ffmpeg_path() -> Path:
    """Where this Playwright version expects its ffmpeg binary."""
    import playwright

    from compat_harness.engines.playwright import playwright_browsers_path

    package = Path(playwright.__file__).parent / "driver" / "package"
    browsers = json.loads((package / "browsers.json").read_text())["browsers"]
    revision = next(b["revision"] for b in browsers if b["name"] == "ffmpeg")
    return playwright_browsers_path() / f"ffmpeg-{revision}" / "ffmpeg-linux"


def main() -> int:
    target = playwright_ffmpeg_path()
    if target.exists():
        return 0
    system = shutil.which("ffmpeg")
    if system is None:
        print("ffmpeg not found: video recording needs it (Debian: apt-get install ffmpeg)")
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(system)
    # Playwright checks this marker to decide the download is complete.
    (target.parent / "INSTALLATION_COMPLETE").touch()
    print(f"linked {system} for Playwright's video recording")
    return 0


if __name__ == "__main__":
    sys.exit(main())
