"""The real process: CLI, ready file, launcher, two origins, parallel provisioning."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from reference_app.defects import known_names
from reference_app.launcher import AppProcess, AppStartError, start

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _run_cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reference_app", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT_ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def running() -> Any:
    """One real app process for this module."""
    with start(defects=["touch-submit"], timeout=20) as app:
        yield app


def test_unknown_defect_exits_2_listing_known_names() -> None:
    result = _run_cli("--defects", "touch-submit,not-a-defect")
    assert result.returncode == 2
    assert "not-a-defect" in result.stderr
    assert all(name in result.stderr for name in known_names())


def test_list_defects_prints_the_catalog() -> None:
    result = _run_cli("--list-defects")
    assert result.returncode == 0
    assert all(name in result.stdout for name in known_names())


def test_launcher_reports_start_failures() -> None:
    with pytest.raises(AppStartError, match="exited with code 2") as caught:
        start(defects=["not-a-defect"])
    assert "known defects" in str(caught.value)


def test_ready_info_and_both_origins(running: AppProcess) -> None:
    info = running.info
    assert info.mode == "test"
    assert info.defects == ("touch-submit",)
    assert info.version == 1
    assert info.client_url != info.provider_url
    assert "password" not in repr(info)
    for url, portal in ((info.client_url, "client"), (info.provider_url, "provider")):
        health = httpx.get(f"{url}/healthz").json()
        assert health == {"status": "ok", "portal": portal, "version": 1, "mode": "test"}


def test_demo_accounts_sign_in_over_http(running: AppProcess) -> None:
    info = running.info
    for portal, url in (("client", info.client_url), ("provider", info.provider_url)):
        account = info.demo[portal]
        with httpx.Client(base_url=url) as browser:
            response = browser.post("/login", data=dict(account))
            assert response.status_code == 303
            assert browser.get("/dashboard").status_code == 200


def test_parallel_provisioning_gives_unique_users(running: AppProcess) -> None:
    url = running.info.client_url

    def provision(index: int) -> dict[str, Any]:
        target = url if index % 2 else running.info.provider_url
        response = httpx.post(
            f"{target}/__test__/provision", json={"room_type": "couples"}, timeout=20
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(provision, range(24)))
    emails = [r[role]["email"] for r in results for role in ("client", "partner", "provider")]
    ids = [r[role]["id"] for r in results for role in ("client", "partner", "provider")]
    assert len(set(emails)) == len(emails) == 72
    assert len(set(ids)) == 72
    assert len({r["scenario"] for r in results}) == 24
    assert len({r["room"]["id"] for r in results}) == 24


def test_responses_are_fast(running: AppProcess) -> None:
    with httpx.Client(base_url=running.info.client_url) as browser:
        browser.get("/login")
        began = time.perf_counter()
        for _ in range(20):
            assert browser.get("/login").status_code == 200
        # Keep-alive requests must not stall (about 40 ms each without TCP_NODELAY).
        assert (time.perf_counter() - began) / 20 < 0.03


def test_cli_ready_file_stdout_and_shutdown(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    env = dict(os.environ, REFAPP_DEMO_PASSWORD="demo-secret-123", REFAPP_MODE="production")
    began = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "reference_app", "--ready-file", str(ready)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        startup = time.monotonic() - began
        public = json.loads(line)
        assert set(public) == {"client_url", "provider_url", "mode", "defects", "version", "pid"}
        assert public["mode"] == "production"
        assert public["pid"] == process.pid
        assert "demo-secret-123" not in line
        assert stat.S_IMODE(ready.stat().st_mode) == 0o600
        private = json.loads(ready.read_text())
        assert private["demo"]["client"]["password"] == "demo-secret-123"
        assert private["demo"]["provider"]["email"] == "demo.provider@example.test"
        assert httpx.post(f"{public['client_url']}/__test__/provision").status_code == 404
        assert startup < 10  # typically well under 1.5 s; generous for loaded CI machines
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "demo-secret-123" not in stderr
