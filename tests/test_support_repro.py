"""`compat repro` as a support agent runs it: a person's device description against the reference
app with a defect on gives the right verdict and exit code, and a bundle in which no file (nor
anything inside the zip, nor any screenshot read back by OCR) holds a secret or the personal
data put on the pages; every file the run produced is free of the secret values; a test target
keeps none of the bookings a repro made."""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from compat_harness.exitcodes import ExitCode
from reference_app import scenarios
from reference_app.launcher import RunningApp, start
from reference_app.store import Store
from tests.support.commands import repro
from tests.support.secrets_scan import assert_no_secret, produced_files

ROOT = Path(__file__).resolve().parents[1]

# Known personal data the app is made to render: a name (dashboard greeting, provider lists), an
# email (typed into the login form), a provider name (room heading) and a message in the room.
FIRST, LAST = "Wilhelmina", "Quartermaine"
EMAIL = "wilhelmina.quartermaine@example.test"
PROVIDER = ("Bartholomew", "Fairweather")
MESSAGE = "Pelican harmonica tangerine"
PASSWORD = "Sup3r-secret-Passw0rd-771"
MARKERS = (FIRST, LAST, EMAIL, PROVIDER[0], PROVIDER[1], MESSAGE, "tangerine")


def _marked_db(path: Path) -> None:
    """An app database whose client and provider are the markers, with a marker message."""
    store = Store(path)
    try:
        scenario = scenarios.provision(
            store,
            credits=2,
            client_email=EMAIL,
            password=PASSWORD,
            client_name=(FIRST, LAST),
            provider_name=PROVIDER,
        )
        store.add_message(scenario.room.id, scenario.provider.user.id, MESSAGE)
    finally:
        store.close()


@dataclass
class Produced:
    """A repro run against a production-mode app with the marker account."""

    proc: subprocess.CompletedProcess[str]
    bundles: Path
    reports: Path
    app: RunningApp


# One repro for the tests that read it: they share an xdist group (so one worker runs them) and the
# fixture is session-scoped (so another file's test run in between does not make it run again).
_IOS_REPRO = pytest.mark.xdist_group("ios-repro")


@pytest.fixture(scope="session")
def ios_repro(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Produced]:
    tmp = tmp_path_factory.mktemp("repro")
    _marked_db(tmp / "app.db")
    secrets_file = tmp / "secrets.env"
    secrets_file.write_text(f"COMPAT_CLIENT_PASSWORD={PASSWORD}\n", encoding="utf-8")
    # Production mode: no test hooks, the accounts come from the environment and the secrets
    # file as they would for a real environment; the defect breaks sign-in on WebKit only.
    with start(defects=("login-ua-data",), mode="production", db=tmp / "app.db") as app:
        proc = repro(
            "--device",
            "iPhone, iOS 17, Safari",
            "--journey",
            "sign-in",
            "--client-url",
            app.info.client_url,
            "--provider-url",
            app.info.provider_url,
            "--secrets-file",
            str(secrets_file),
            f"--out={tmp / 'bundles'}",
            f"--report-dir={tmp / 'reports'}",
            env={"COMPAT_CLIENT_EMAIL": EMAIL},
        )
        yield Produced(proc, tmp / "bundles", tmp / "reports", app.info)


def _ocr(png: bytes, tmp: Path) -> str:
    image = tmp / f"{hashlib.sha1(png).hexdigest()}.png"
    image.write_bytes(png)
    out = subprocess.run(
        ["tesseract", str(image), "-", "--psm", "11"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return " ".join(out.stdout.split()).lower()


def _found(text: str) -> list[str]:
    flat = text.lower()
    return [m for m in MARKERS if m.lower() in flat]


@_IOS_REPRO
def test_device_only_verdict_and_plain_output(ios_repro: Produced) -> None:
    out = ios_repro.proc.stdout
    assert ios_repro.proc.returncode == ExitCode.TESTS_FAILED, out + ios_repro.proc.stderr
    assert "VERDICT: fails only on this device → compatibility issue" in out
    assert "tested on     ios-webkit" in out and "compared with chrome-desktop" in out
    assert "instead of Safari on iOS" in out or "Playwright's WebKit build" in out
    assert "Re-run:  compat repro --device 'iPhone, iOS 17, Safari' --journey sign-in" in out
    assert re.search(r"Bundle:\s+\S+repro-[\w-]+\.zip", out)
    assert PASSWORD not in out and EMAIL not in out


@_IOS_REPRO
def test_bundle_has_every_part(ios_repro: Produced) -> None:
    (archive,) = ios_repro.bundles.glob("repro-*.zip")
    folder = archive.with_suffix("")
    page = (folder / "index.html").read_text(encoding="utf-8")
    for part in ("Verdict: fails only on this device", "What to do", "Re-run", "Ticket text"):
        assert part in page
    assert page.count("data:image/png;base64,") >= 8  # the steps' screenshots, embedded
    ticket = (folder / "ticket.txt").read_text(encoding="utf-8")
    assert ticket.startswith("Subject: [repro] sign-in on Safari on an iPhone")
    names = zipfile.ZipFile(archive).namelist()
    assert any(n.endswith("ticket.txt") for n in names) and any(
        n.endswith("index.html") for n in names
    )
    assert any("chrome-desktop" in n and n.endswith("trace.zip") for n in names)
    assert any("ios-webkit" in n and n.endswith("console.txt") for n in names)
    assert any(n.endswith("network.txt") for n in names)


@_IOS_REPRO
def test_no_marker_in_any_file_or_screenshot_of_the_bundle(
    ios_repro: Produced, tmp_path: Path
) -> None:
    leaks = [
        name for name, data in produced_files(ios_repro.bundles) if _found(data.decode("latin-1"))
    ]
    assert not leaks, f"personal data in: {leaks}"
    pngs = {
        hashlib.sha1(d).hexdigest(): d
        for n, d in produced_files(ios_repro.bundles)
        if n.endswith(".png")
    }
    assert len(pngs) >= 5  # distinct pictures (identical steps share one)
    read = {sha: _ocr(png, tmp_path) for sha, png in pngs.items()}
    seen = {sha: _found(text) for sha, text in read.items() if _found(text)}
    assert not seen, f"OCR reads personal data in masked screenshots: {seen}"
    assert any("session credits" in text for text in read.values()), "OCR read nothing useful"
    # The page embeds exactly the screenshots that were read.
    (index,) = ios_repro.bundles.glob("repro-*/index.html")
    embedded = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", index.read_text())
    assert {hashlib.sha1(base64.b64decode(e)).hexdigest() for e in embedded} <= set(pngs)


@_IOS_REPRO
def test_ocr_finds_the_markers_on_an_unmasked_control_screenshot(
    ios_repro: Produced, tmp_path: Path
) -> None:
    """The check above could fail: unmasked, the same pages show the markers to OCR."""
    from playwright.sync_api import sync_playwright

    from compat_harness.engines.playwright import (
        SYSTEM_CHROMIUM_ARGS,
        bundled_executables,
        system_chromium,
    )

    executable = None if bundled_executables().get("chromium") else system_chromium()
    url = ios_repro.app.client_url
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=list(SYSTEM_CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{url}/login")
        page.get_by_label("Email", exact=True).fill(EMAIL)
        shots = [page.screenshot()]
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{url}/dashboard")
        shots.append(page.screenshot())
        page.goto(f"{url}/room")
        shots.append(page.screenshot())
        browser.close()
    text = " ".join(_ocr(s, tmp_path) for s in shots)
    assert {FIRST, LAST, PROVIDER[1], "tangerine"} <= set(_found(text)), text


@_IOS_REPRO
def test_no_secret_in_any_file_the_run_produced(ios_repro: Produced) -> None:
    printed = ios_repro.proc.stdout + ios_repro.proc.stderr
    assert_no_secret(
        [PASSWORD], ios_repro.reports, ios_repro.bundles, printed=printed, min_files=30
    )
    # The traces recorded the typed password: they were redacted with a visible note.
    notes = list(ios_repro.reports.rglob("secrets-redacted.txt"))
    assert notes and "trace.zip" in notes[0].read_text()


def test_a_failure_only_with_stored_data_says_clear_the_cache(tmp_path: Path) -> None:
    proc = repro(
        "--device",
        "Windows 11 Chrome",
        "--journey",
        "release",
        "--defects",
        "script-immutable-unversioned",
        f"--out={tmp_path / 'b'}",
        f"--report-dir={tmp_path / 'r'}",
    )
    assert proc.returncode == ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert "VERDICT: fails only with stored data → clear the cache" in proc.stdout
    assert "clear the browser's cache only" in proc.stdout.lower()
    # The run that signed out and signed in again failed too: signing out is no remedy here.
    assert "does not fix it" in proc.stdout
    assert "sign out and back in first" not in proc.stdout.lower()
    assert "compared with" not in proc.stdout  # the device is the recommended desktop itself


def test_a_failure_on_chromium_everywhere_is_a_product_bug(tmp_path: Path) -> None:
    proc = repro(
        "--device",
        "Samsung Galaxy",
        "--journey",
        "sign-in",
        "--defects",
        "session-cookie-samesite-none",
        f"--out={tmp_path / 'b'}",
        f"--report-dir={tmp_path / 'r'}",
    )
    assert proc.returncode == ExitCode.TESTS_FAILED, proc.stdout + proc.stderr
    assert "VERDICT: fails everywhere → product bug" in proc.stdout
    assert "tested on     android-chrome" in proc.stdout


def test_a_repro_leaves_no_booking_behind_on_a_test_target(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    with start(mode="test", db=db) as app:
        proc = repro(
            "--device",
            "Windows Chrome",
            "--journey",
            "booking",
            "--client-url",
            app.info.client_url,
            "--provider-url",
            app.info.provider_url,
            f"--out={tmp_path / 'b'}",
            f"--report-dir={tmp_path / 'r'}",
        )
        assert proc.returncode == ExitCode.OK, proc.stdout + proc.stderr
        assert "VERDICT: works" in proc.stdout
        with sqlite3.connect(db) as conn:
            sessions = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
            users = conn.execute(
                "SELECT COUNT(*) FROM users WHERE email NOT LIKE 'demo.%'"
            ).fetchone()[0]
            emails = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    assert (sessions, users, emails) == (0, 0, 0)


def test_usage_target_and_safety_errors_are_plain(tmp_path: Path) -> None:
    gibberish = repro("--device", "my toaster", "--journey", "sign-in")
    assert gibberish.returncode == ExitCode.USAGE_ERROR
    assert "cannot tell a device or browser from 'my toaster'" in gibberish.stdout
    assert "iPhone, iOS 17, Safari" in gibberish.stdout
    bad_journey = repro("--device", "iPhone", "--journey", "sing-in")
    assert (
        bad_journey.returncode == ExitCode.USAGE_ERROR
        and "did you mean 'sign-in'" in bad_journey.stdout
    )
    dead = "http://127.0.0.1:9"
    down = repro(
        "--device", "iPhone", "--journey", "sign-in", "--client-url", dead, "--provider-url", dead
    )
    assert down.returncode == ExitCode.TARGET_DOWN and "target down" in down.stdout
    net = repro(
        "--device",
        "iPhone",
        "--journey",
        "sign-in",
        "--client-url",
        dead,
        "--provider-url",
        dead,
        "--control-url",
        dead,
    )
    assert net.returncode == ExitCode.NETWORK_DOWN and "network down" in net.stdout
    with start(mode="production") as app:
        refused = repro(
            "--device",
            "iPhone",
            "--journey",
            "booking",
            "--client-url",
            app.info.client_url,
            "--provider-url",
            app.info.provider_url,
        )
    assert refused.returncode == ExitCode.USAGE_ERROR
    assert "not a test target" in refused.stdout and "--allow-destructive" in refused.stdout
