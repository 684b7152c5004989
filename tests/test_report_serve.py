"""`compat report serve` serves one run's folder and Playwright's trace viewer, on loopback unless
told otherwise, and nothing else: every way out of those folders (``..`` plain or encoded, an
absolute path, a symlink pointing out) is refused, with real HTTP requests sent as written."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from compat_harness.report.serve import make_server
from tests.support.matrix_run import ROOT

SECRET = "only-on-this-machine-0451"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """reports/latest -> run1 (a report, an artifact, a symlink pointing out), served."""
    (tmp_path / "outside.txt").write_text(SECRET)
    run = tmp_path / "reports" / "run1"
    (run / "artifacts").mkdir(parents=True)
    (run / "report.html").write_text("<title>the report</title>")
    (run / "artifacts" / "console.txt").write_text("console log")
    (run / "artifacts" / "leak.txt").symlink_to(tmp_path / "outside.txt")
    (tmp_path / "reports" / "latest").symlink_to("run1", target_is_directory=True)
    server = make_server(tmp_path / "reports" / "latest")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield str(server.server_address[0]), int(server.server_address[1])
    server.shutdown()
    server.server_close()


def _get(where: tuple[str, int], path: str) -> tuple[int, str]:
    """GET the path exactly as written (http.client does not normalise it)."""
    conn = http.client.HTTPConnection(*where, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def test_it_listens_on_loopback_by_default(served: tuple[str, int]) -> None:
    assert served[0] == "127.0.0.1"


def test_the_run_folder_and_the_trace_viewer_are_served(served: tuple[str, int]) -> None:
    assert _get(served, "/report.html") == (200, "<title>the report</title>")
    assert _get(served, "/artifacts/console.txt") == (200, "console log")
    status, body = _get(served, "/trace-viewer/index.html?trace=artifacts/trace.zip")
    assert status == 200 and "Playwright Trace Viewer" in body


@pytest.mark.parametrize(
    "path",
    [
        "/../outside.txt",
        "/../../outside.txt",
        "/%2e%2e/outside.txt",
        "/%2E%2E%2Foutside.txt",
        "/..%2f..%2foutside.txt",
        "/artifacts/../../outside.txt",
        "/artifacts/leak.txt",
        "/trace-viewer/../../../../../../../../etc/passwd",
        "/trace-viewer/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"/{'..%2F' * 12}etc/passwd",
    ],
)
def test_a_way_out_of_the_folder_is_refused(served: tuple[str, int], path: str) -> None:
    status, body = _get(served, path)
    assert status == 403, (status, body[:200])
    assert SECRET not in body and "root:" not in body


@pytest.mark.parametrize("path", ["/etc/passwd", "//etc/passwd", "/%2Fetc%2Fpasswd"])
def test_an_absolute_path_names_a_file_inside_the_folder_or_nothing(
    served: tuple[str, int], path: str
) -> None:
    status, body = _get(served, path)
    assert status == 404 and "root:" not in body


def _serve_command(tmp_path: Path, *args: str) -> tuple[str, str]:
    """Start `compat report serve ARGS`, read what it says first, stop it."""
    (tmp_path / "reports" / "r").mkdir(parents=True)
    (tmp_path / "reports" / "r" / "report.html").write_text("<title>r</title>")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "compat_harness", "report", "serve", "r"]
    cmd += ["--report-dir", str(tmp_path / "reports"), *args]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    return first, err


def test_the_command_binds_loopback_and_warns_when_told_otherwise(tmp_path: Path) -> None:
    first, err = _serve_command(tmp_path)
    assert " at http://127.0.0.1:" in first and "warning" not in err
    first, err = _serve_command(tmp_path / "open", "--host", "0.0.0.0")
    assert " at http://0.0.0.0:" in first
    assert "warning: serving on 0.0.0.0, not loopback" in err
