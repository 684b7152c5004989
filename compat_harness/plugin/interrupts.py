"""Stopping a run from outside, as it really happens: a terminal's Ctrl-C (SIGINT to the whole
foreground process group), CI cancelling a job (SIGTERM to the harness), a closed terminal
(SIGHUP). Each takes pytest's own Ctrl-C path in the controller and in every xdist worker: the
running tests stop, fixtures tear down (browsers, drivers, displays, the app), the partial report
is written (the rest "not run: interrupted") and the run exits 2. What a run's processes leave
behind is ended at its very end (see compat_harness.processes)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from _pytest._code.code import Traceback

from compat_harness import processes
from compat_harness.exitcodes import ExitCode

_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# After this many signals the run stops at once: a teardown that hangs must not hold a terminal.
_FORCE_AFTER = 3


@dataclass
class _Stopper:
    """The signal handlers of one process of a run."""

    xdist_controller: bool
    received: list[str] = field(default_factory=list)
    previous: dict[int, Any] = field(default_factory=dict)
    baseline: set[int] = field(default_factory=set)
    previous_unraisable: Callable[[Any], object] | None = None

    def install(self) -> None:
        for sig in _SIGNALS:
            self.previous[sig] = signal.signal(sig, self._handle)

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        if sys.unraisablehook == self.unraisable and self.previous_unraisable is not None:
            sys.unraisablehook = self.previous_unraisable  # unless pytest's own restored it

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self.received.append(name)
        if self.xdist_controller and signum != signal.SIGINT:
            # A terminal's Ctrl-C reaches the workers too; a signal sent to the controller alone
            # is passed on, so each worker stops its tests and tears down its own browsers.
            for worker in processes.children(os.getpid()):
                if worker.pid not in self.baseline:
                    _send(worker.pid, signum)
        if len(self.received) == 1:
            raise self.interrupt()
        if len(self.received) >= _FORCE_AFTER:
            sys.stderr.write(f"\ncompat: {name} again: stopping now, without cleaning up\n")
            os._exit(int(ExitCode.INTERRUPTED))
        sys.stderr.write(f"\ncompat: {name}: already stopping, cleaning up (once more forces)\n")

    def interrupt(self) -> KeyboardInterrupt:
        """The exception that takes pytest's Ctrl-C path, naming the first signal."""
        return KeyboardInterrupt(f"stopped by {self.received[0]}")

    def unraisable(self, unraisable: Any) -> None:
        """Python's report of an exception it had to drop: the stop's own KeyboardInterrupt,
        dropped inside a finalizer, is not worth a traceback (the next test boundary raises it
        again)."""
        if self.received and isinstance(unraisable.exc_value, KeyboardInterrupt):
            return
        if self.previous_unraisable is not None:
            self.previous_unraisable(unraisable)


def _send(pid: int, signum: int) -> None:
    with contextlib.suppress(OSError):  # it ended meanwhile
        os.kill(pid, signum)


_STOPPER = pytest.StashKey[_Stopper]()
# One run per process reaps; a run inside another (pytester's in-process runs) leaves it to the
# outer one, whose processes are not its own.
_REAPER_ACTIVE = False
_FULL_TRACE = False


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    global _REAPER_ACTIVE, _FULL_TRACE
    _FULL_TRACE = bool(config.option.fulltrace)
    if threading.current_thread() is not threading.main_thread() or _REAPER_ACTIVE:
        return
    _REAPER_ACTIVE = True
    xdist_controller = bool(getattr(config.option, "numprocesses", None)) and not hasattr(
        config, "workerinput"
    )
    stopper = _Stopper(xdist_controller)
    stopper.baseline = {p.pid for p in processes.descendants(os.getpid())}
    processes.become_subreaper()
    stopper.install()
    config.stash[_STOPPER] = stopper


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    stopper = session.config.stash.get(_STOPPER, None)
    if stopper is not None:
        stopper.previous_unraisable = sys.unraisablehook
        sys.unraisablehook = stopper.unraisable


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> None:
    """No test starts once the run is told to stop, even where the stop was swallowed."""
    _stop_again(item.config)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that fails once the run is told to stop failed because of the stop: a terminal's
    Ctrl-C reaches the browsers and drivers too, so the test in flight sees its browser die. It
    ends the way pytest ends a test Ctrl-C stops: unreported, "not run: interrupted"."""
    report = yield
    if report.failed:
        _stop_again(item.config)
    return report


def _stop_again(config: pytest.Config) -> None:
    stopper = config.stash.get(_STOPPER, None)
    if stopper is not None and stopper.received:
        # The first KeyboardInterrupt can be lost: raised inside a finalizer (Python prints
        # and drops it) or caught by code that cleans up and carries on.
        raise stopper.interrupt()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    global _REAPER_ACTIVE
    stopper = config.stash.get(_STOPPER, None)
    if stopper is None:
        return
    left = processes.reap(keep=stopper.baseline)
    stopper.restore()
    _REAPER_ACTIVE = False
    if left:
        sys.stderr.write(
            "compat: ended processes the run left behind: " + "; ".join(left[:5]) + "\n"
        )
    if stopper.received and hasattr(config, "workerinput"):
        # A stopped xdist worker has sent its last word and ended its processes; the controller
        # waits for it to exit, and a Python interpreter's own cleanup costs a busy machine a
        # second or more.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(ExitCode.INTERRUPTED))


def stopped_by(config: pytest.Config) -> str | None:
    """The signal that stopped this run ("SIGTERM", ...), None if none did."""
    stopper = config.stash.get(_STOPPER, None)
    return stopper.received[0] if stopper and stopper.received else None


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Only where the run stopped, not the whole stack: pytest renders the stack with its
    source, seconds of a busy machine's CPU before the teardown can start (--full-trace keeps
    it)."""
    if _FULL_TRACE or not isinstance(excinfo.value, KeyboardInterrupt):
        return  # pytest.exit() and the like: pytest's own short report
    entries = [e for e in excinfo.traceback if e.path != Path(__file__) and not e.ishidden(excinfo)]
    if entries:
        excinfo.traceback = Traceback(entries[-1:])


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> Any:
    """A teardown that fails while the run is stopping says so in one line, not a traceback:
    a stopped run's helpers may already be gone (a signal to the whole process group)."""
    try:
        return (yield)
    except Exception as exc:
        if exitstatus != ExitCode.INTERRUPTED:
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        terminal = session.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:  # stderr is still captured here
            terminal.write_line(f"compat: while stopping: {type(exc).__name__}: {first[:200]}")
        return None
