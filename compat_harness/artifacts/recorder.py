"""The recorder: every session a test opens is recorded by its engine's Capture; at the end of the
test the recorder keeps what the modes and the outcome say, in the test's folder.

The folder is pytest-playwright's ``output_path`` (``<--output>/<slug of the test id with its
cell>[-retryN]``; the harness puts ``--output`` in ``reports/<run-id>/artifacts``), so Playwright's
own trace and video land beside what is kept here. Modes follow pytest-playwright's options:
``--screenshot`` (taken here for every engine, once the outcome is known) and ``--video`` (off / on /
retain-on-failure); DOM, console and network logs are kept when the test failed (or always with
``--keep-logs``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from compat_harness.artifacts.capture import Capture
from compat_harness.artifacts.logs import write_console, write_network
from compat_harness.artifacts.redaction import write_dom, write_har
from compat_harness.masking import Masking, masked_screenshot
from compat_harness.plugin.record import record_artifact, record_unsaved
from compat_harness.secrets import REDACTOR
from compat_harness.session.base import Session, Step, StepLog

# The --screenshot mode the user asked for (pytest-playwright's own capture is switched off).
SCREENSHOT_MODE = pytest.StashKey[str]()


def _keep(option: str, failed: bool) -> bool:
    """pytest-playwright's modes: on, off, only-on-failure / retain-on-failure."""
    return option == "on" or (failed and option in ("only-on-failure", "retain-on-failure"))


class ArtifactsRecorder:
    """Records every session a test opens and, at its end, keeps what the modes say."""

    def __init__(
        self, request: pytest.FixtureRequest, output_path: str, *, keep_logs: bool = False
    ) -> None:
        self.request = request
        self.config = request.config
        self.output = Path(output_path)
        self.captures: list[Capture] = []
        self.keep_logs = keep_logs  # console and network logs also when the test passed
        # Where engines record before the outcome decides what is kept (HAR, video).
        self.scratch = Path(tempfile.mkdtemp(prefix="compat-artifacts-"))
        self.video = str(self.config.getoption("video", default="off"))
        self._masking = Masking()
        self._run_dir = self.output
        self._shots = 0
        # (session, start of the step shot, when it was shot, its path)
        self._last_shot: tuple[Session, float, float, str] | None = None
        self._notes: list[str] = []

    # --- step screenshots (support bundles) -----------------------------------------------------
    def screenshot_steps(self, steps: StepLog, masking: Masking, run_dir: Path) -> None:
        """Keep a masked screenshot of the page at the end of every step (passed or failed)."""
        self._masking = masking
        self._run_dir = run_dir
        steps.on_end.append(self._step_screenshot)

    def _step_screenshot(self, step: Step, session: Session | None) -> None:
        if session is None or not any(c.session is session for c in self.captures):
            return
        now = time.monotonic()
        last = self._last_shot
        if (
            last is not None
            and last[0] is session
            and last[1] >= step.started
            and now - last[2] < 0.05
            and step.status == "passed"
        ):
            # An outer step ending right after its last inner step: the page is the same.
            step.screenshot = last[3]
            return
        self._shots += 1
        slug = "".join(c if c.isalnum() else "-" for c in step.title.lower()).strip("-")[:50]
        path = self.output / "steps" / f"{self._shots:02d}-{slug}.png"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            masked_screenshot(session, str(path), self._masking)
        except Exception as exc:  # never an unmasked picture: no picture, and say why
            step.screenshot = None
            path.unlink(missing_ok=True)
            self._notes.append(f"no screenshot of step {step.title!r}: {str(exc).splitlines()[0]}")
            return
        rel = os.path.relpath(path, self._run_dir)
        step.screenshot = rel
        self._last_shot = (session, step.started, time.monotonic(), rel)
        record_artifact(self.request.node, "step", str(path))

    def attach(self, capture: Capture) -> None:
        """Keep a session's recording until the end of the test."""
        self.captures.append(capture)

    # --- the end of the test ----------------------------------------------------------------------
    def finish(self) -> None:
        """Keep what the modes and the outcome say, close every session, drop the rest."""
        failed = _failed(self.request.node)
        screenshots = _keep(self.config.stash.get(SCREENSHOT_MODE, "only-on-failure"), failed)
        keep_video = _keep(self.video, failed)
        many = len(self.captures) > 1
        test = self.request.node.nodeid
        try:
            for index, capture in enumerate(self.captures, start=1):
                suffix = f"-{index}" if many else ""
                session = capture.session
                if screenshots:  # pytest-playwright's names and --screenshot modes, every engine
                    status = "failed" if failed else "finished"
                    self._save("screenshot", f"test-{status}-{index}.png", session.screenshot)
                if failed:
                    self._save("dom", f"dom{suffix}.html", partial(write_dom, session))
                with contextlib.suppress(Exception):  # the page or the browser is gone
                    capture.harvest()
                if failed or self.keep_logs:
                    self._save(
                        "console", f"console{suffix}.txt", partial(write_console, capture, test)
                    )
                    self._save(
                        "network", f"network{suffix}.txt", partial(write_network, capture, test)
                    )
                video = capture.stop()
                with contextlib.suppress(Exception):  # a crashed browser cannot close
                    session.close()
                har = capture.har
                if failed and har is not None and har.exists():
                    self._save("har", f"network{suffix}.har", partial(write_har, har))
                if keep_video and video is not None:
                    self._save("video", f"video{suffix}.webm", partial(shutil.move, video))
            if self._notes:
                self._save("note", "steps/notes.txt", self._write_notes)
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _write_notes(self, path: str) -> None:
        Path(path).write_text(REDACTOR.redact("\n".join(self._notes)) + "\n", encoding="utf-8")

    def _save(self, kind: str, name: str, write: Callable[[str], object]) -> None:
        path = self.output / name
        try:
            self.output.mkdir(parents=True, exist_ok=True)
            write(str(path))
        except Exception as exc:  # the browser may be the thing that failed; keep what we could
            if isinstance(exc, OSError):  # the disk's fault, not the browser's: said in the report
                record_unsaved(self.request.node, str(path), exc)
            return
        if path.exists():
            record_artifact(self.request.node, kind, str(path))


def _failed(item: pytest.Item) -> bool:
    reports = [getattr(item, f"rep_{when}", None) for when in ("setup", "call")]
    return any(r is not None and r.failed for r in reports)
