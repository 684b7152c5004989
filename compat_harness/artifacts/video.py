"""Video of a virtual screen (engines without their own recorder, e.g. WebKitGTK under Xvfb)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import uuid
from pathlib import Path


class ScreenVideo:
    """ffmpeg recording an X display's top-left ``width`` x ``height`` pixels to a WebM file."""

    def __init__(self, proc: subprocess.Popen[bytes], path: Path) -> None:
        self._proc: subprocess.Popen[bytes] | None = proc
        self.path = path

    @classmethod
    def start(cls, folder: Path, display: str, width: int, height: int) -> ScreenVideo | None:
        """None when ffmpeg is not installed (video is optional)."""
        ffmpeg = shutil.which("ffmpeg")
        if ffmpeg is None:
            return None
        path = folder / f"{uuid.uuid4().hex}.webm"
        # Half size, 10 fps, VP8 realtime: a readable recording that costs little CPU.
        proc = subprocess.Popen(
            [
                ffmpeg,
                "-loglevel",
                "error",
                "-f",
                "x11grab",
                "-draw_mouse",
                "0",
                "-framerate",
                "10",
                "-video_size",
                f"{width}x{height}",
                "-i",
                f"{display}+0,0",
                "-vf",
                "scale=trunc(iw/4)*2:trunc(ih/4)*2",
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "1M",
                "-y",
                str(path),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return cls(proc, path)

    def stop(self) -> Path | None:
        """Finish the file; its path if it was written."""
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin:
                    proc.stdin.write(b"q")  # ffmpeg finishes the file cleanly on 'q'
                    proc.stdin.close()
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        return self.path if self.path.exists() else None
