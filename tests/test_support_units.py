"""Support mode's parts on their own: device descriptions, journey names, verdicts, the trace
sanitizer, secret scrubbing of kept files, the masking file."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from compat_harness.artifacts import SCRUB_NOTE, scrub_secrets
from compat_harness.masking import MaskingError, load_masking
from compat_harness.matrix import load_matrix
from compat_harness.profiles import Pair, Profile
from compat_harness.results import Status
from compat_harness.secrets import PERSONAL, REDACTOR
from compat_harness.support.devices import DeviceError, match_device
from compat_harness.support.journeys import JOURNEYS, JourneyError, find_journeys
from compat_harness.support.repro import ReproArgs, command_line
from compat_harness.support.trace import sanitize_trace
from compat_harness.support.verdict import (
    ReproVerdict,
    SignOut,
    advice_for,
    judge,
    judge_profiles,
    overall,
    sign_out_finding,
)

ROOT = Path(__file__).resolve().parents[1]
CELLS = load_matrix(ROOT / "matrix" / "default.yaml").cells


@pytest.mark.parametrize(
    ("description", "cell_id"),
    [
        ("iPhone, iOS 17, Safari", "ios-webkit"),
        ("iphone 13", "ios-webkit"),
        ("iOS Safari", "ios-webkit"),
        ("iPhone 15 Pro with Chrome", "ios-webkit"),
        ("ipad", "ipad-webkit"),
        ("iPad Air, iPadOS 17", "ipad-webkit"),
        ("Samsung Galaxy", "android-chrome"),
        ("Samsung Galaxy S23, Samsung Internet", "android-chrome"),
        ("Galaxy A14", "small-android"),
        ("Pixel 8 Chrome", "android-chrome"),
        ("android", "android-chrome"),
        ("Android Chrome", "android-chrome"),
        ("Android phone, Firefox", "android-chrome"),
        ("Windows 11 Chrome", "chrome-desktop"),
        ("Windows Chrome", "chrome-desktop"),
        ("Edge on Windows 10", "chrome-desktop"),
        ("Chromebook", "chrome-desktop"),
        ("MacBook Safari", "desktop-webkit"),
        ("MacBook Pro", "desktop-webkit"),
        ("Mac Chrome", "chrome-desktop"),
        ("macOS Sonoma, Google Chrome", "chrome-desktop"),
        ("Firefox on Windows", "firefox-desktop"),
        ("Ubuntu Firefox", "firefox-desktop"),
        ("Chrome", "chrome-desktop"),
        ("laptop", "chrome-desktop"),
    ],
)
def test_device_descriptions_map_to_the_closest_cell(description: str, cell_id: str) -> None:
    assert match_device(description).cell_in(CELLS) == cell_id


def test_what_differs_from_the_real_device_is_said() -> None:
    assert "WebKit" in match_device("iPhone Chrome").notes[0]
    assert "Chromium" in match_device("Samsung Internet on a Galaxy").notes[0]
    assert "Firefox" in match_device("Android Firefox").notes[0]
    assert match_device("iPhone, iOS 17, Safari").notes == ()
    assert match_device("Pixel 8 Chrome").label == "Chrome on an Android phone"


@pytest.mark.parametrize("description", ["my toaster", "", "the usual one", "Nintendo Switch"])
def test_unknown_descriptions_say_what_is_understood(description: str) -> None:
    with pytest.raises(DeviceError) as error:
        match_device(description)
    assert "iPhone, iOS 17, Safari" in str(error.value) and "Firefox" in str(error.value)


def test_a_matrix_without_the_cell_falls_back_or_says_so() -> None:
    ipad = match_device("iPad")
    assert ipad.cell_in({"ios-webkit": CELLS["ios-webkit"]}) == "ios-webkit"
    with pytest.raises(DeviceError, match="the matrix has none"):
        ipad.cell_in({"chrome-desktop": CELLS["chrome-desktop"]})


def test_journey_names_aliases_and_typos() -> None:
    assert [j.name for j in find_journeys("sign-in, cache,booking")] == [
        "sign-in",
        "release",
        "booking",
    ]
    with pytest.raises(JourneyError, match="did you mean 'sign-in'"):
        find_journeys("sing-in")


def test_the_journey_catalog_matches_the_suites() -> None:
    """Every catalogued test exists, and 'destructive' agrees with the suites' markers."""
    script = (
        "import json, pytest, sys\n"
        "class P:\n"
        "    items = []\n"
        "    def pytest_collection_finish(self, session):\n"
        "        P.items = [(i.nodeid.split('[')[0], i.get_closest_marker('destructive') is not None)"
        " for i in session.items]\n"
        "pytest.main(['suites', '--collect-only', '-q', '--cells=chrome-desktop', '-p', 'no:cacheprovider'],"
        " plugins=[P()])\n"
        "print('@@' + json.dumps(P.items))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    collected = dict(json.loads(out.split("@@", 1)[1]))
    for journey in JOURNEYS:
        for test in journey.tests:
            assert test in collected, f"{journey.name}: {test} is not a suite test"
            assert collected[test] == journey.destructive, (
                f"{journey.name}: destructive flag differs"
            )


P, F, N = Status.PASSED, Status.FAILED, Status.NOT_RUN


def _pair(incognito: Status, stored: Status, history: bool = False) -> Pair:
    return Pair("t", "c", incognito, stored, stored_failed_in_history=history)


@pytest.mark.parametrize(
    ("device", "baseline", "expected"),
    [
        (_pair(P, P), _pair(P, P), ReproVerdict.WORKS),
        (_pair(P, F), _pair(P, P), ReproVerdict.STORED_DATA),
        (_pair(P, F), _pair(P, F), ReproVerdict.STORED_DATA),
        (_pair(F, F), _pair(P, P), ReproVerdict.DEVICE_ONLY),
        (_pair(F, F, True), _pair(P, P), ReproVerdict.DEVICE_ONLY),
        (_pair(F, P), _pair(P, P), ReproVerdict.DEVICE_ONLY),
        (_pair(F, F), _pair(F, F), ReproVerdict.PRODUCT_BUG),
        (_pair(F, P), _pair(F, P), ReproVerdict.PRODUCT_BUG),
        (_pair(F, F), None, ReproVerdict.PRODUCT_BUG),
        (_pair(P, F, True), _pair(P, P), ReproVerdict.INCONCLUSIVE),
        (_pair(N, F), _pair(P, P), ReproVerdict.INCONCLUSIVE),
        (_pair(F, F), _pair(N, N), ReproVerdict.INCONCLUSIVE),
    ],
)
def test_verdicts(device: Pair, baseline: Pair | None, expected: ReproVerdict) -> None:
    verdict = judge("j", device, baseline)
    assert verdict.verdict is expected, verdict
    assert verdict.verdict.advice


def _profile_pair(profile: Profile, stored: Status, signed_out_passed: bool = False) -> Pair:
    return Pair("t", "c", P, stored, profile=profile, signed_out_passed=signed_out_passed)


def test_stored_data_advice_says_sign_out_only_where_it_helped() -> None:
    helped = [
        _profile_pair(Profile.STORED, P, True),
        _profile_pair(Profile.TAB_CLOSED, F, True),
    ]
    verdict = judge_profiles("j", helped, None)
    assert verdict.verdict is ReproVerdict.STORED_DATA and verdict.sign_out is SignOut.HELPS
    assert "closed the tab" in verdict.why
    advice = " ".join(advice_for(verdict.verdict, "desktop", "client", verdict.sign_out))
    assert "Sign out and back in first" in advice
    both = [_profile_pair(Profile.STORED, F), _profile_pair(Profile.TAB_CLOSED, F)]
    verdict = judge_profiles("j", both, None)
    assert verdict.sign_out is SignOut.NO_HELP
    advice = " ".join(advice_for(verdict.verdict, "desktop", "client", verdict.sign_out))
    assert "Sign out and back in first" not in advice and "does not fix it" in advice
    # One journey where signing out helped and one where it did not: no sign-out advice.
    assert sign_out_finding([judge_profiles("a", helped, None), verdict]) is SignOut.NO_HELP


def test_the_overall_verdict_is_the_most_serious_and_sets_the_exit_code() -> None:
    works, bug = judge("a", _pair(P, P), None), judge("b", _pair(F, F), None)
    assert overall([works, bug]) is ReproVerdict.PRODUCT_BUG
    assert ReproVerdict.WORKS.exit_code == 0 and ReproVerdict.DEVICE_ONLY.exit_code == 1
    assert (ReproVerdict.TARGET_DOWN.exit_code, ReproVerdict.NETWORK_DOWN.exit_code) == (10, 11)


def _trace(path: Path, secret: str, name: str) -> None:
    events = [
        {"type": "context-options", "browserName": "chromium", "title": f"test of {name}"},
        {
            "type": "before",
            "callId": "1",
            "method": "fill",
            "params": {"selector": "#email", "value": secret},
        },
        {"type": "log", "callId": "1", "message": f"locator resolved to <h1>Welcome, {name}</h1>"},
        {"type": "after", "callId": "1", "endTime": 2, "result": {"text": name}},
        {"type": "frame-snapshot", "snapshot": {"html": ["H1", {}, name]}},
        {"type": "screencast-frame", "file": "screencast/a.jpeg"},
    ]
    network = {
        "type": "resource-snapshot",
        "snapshot": {
            "request": {
                "url": "http://x/login",
                "postData": {"text": f"password={secret}"},
                "headers": [{"name": "Cookie", "value": "s=1"}],
            },
            "response": {"status": 303, "headers": [], "content": {"_sha1": "abc.html"}},
        },
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("trace.trace", "\n".join(json.dumps(e) for e in events))
        zf.writestr("trace.network", json.dumps(network))
        zf.writestr("resources/abc.html", f"<h1>Welcome, {name}</h1>")
        zf.writestr("screencast/a.jpeg", b"\xff\xd8jpeg")


def test_a_trace_leaves_only_actions_and_requests(tmp_path: Path) -> None:
    secret, name = "trace-secret-4711", "Ottoline"
    REDACTOR.add(secret)
    _trace(tmp_path / "t.zip", secret, name)
    assert sanitize_trace(tmp_path / "t.zip", tmp_path / "clean.zip") is None
    with zipfile.ZipFile(tmp_path / "clean.zip") as zf:
        names = zf.namelist()
        text = "".join(zf.read(n).decode() for n in names)
    assert sorted(names) == sorted(["trace.trace", "trace.network", "SANITIZED-BY-COMPAT.txt"])
    assert secret not in text and name not in text and "Cookie" not in text
    assert (
        '"method": "fill"' in text and "(typed text left out)" in text and "http://x/login" in text
    )


def test_kept_files_lose_their_secrets_with_a_note(tmp_path: Path) -> None:
    secret = "kept-secret-0815"
    REDACTOR.add(secret)
    _trace(tmp_path / "trace.zip", secret, "Someone")
    note = scrub_secrets(tmp_path / "trace.zip")
    assert note and "trace.trace" in note
    with zipfile.ZipFile(tmp_path / "trace.zip") as zf:
        assert SCRUB_NOTE in zf.namelist()
        assert all(secret.encode() not in zf.read(n) for n in zf.namelist())
    log = tmp_path / "console.txt"
    log.write_text(f"typed {secret}")
    assert scrub_secrets(log) and log.read_text() == "typed ***"
    image = tmp_path / "x.png"
    image.write_bytes(b"\x89PNG" + secret.encode())
    assert scrub_secrets(image) and not image.exists()
    assert scrub_secrets(log) is None  # clean now


def test_personal_values_are_masked_in_any_case_and_url_encoding() -> None:
    PERSONAL.add("Ottoline.Marker@example.test")
    text = "to=ottoline.marker%40example.test and OTTOLINE.MARKER@EXAMPLE.TEST"
    assert PERSONAL.redact(text) == "to=[personal data] and [personal data]"
    assert PERSONAL.found_in(text.encode())


def test_the_masking_file(tmp_path: Path) -> None:
    good = tmp_path / "m.yaml"
    good.write_text("version: 1\nselectors:\n  - '.patient-name'\n")
    assert load_masking(good, ("#notes",)).selectors == (".patient-name", "#notes")
    assert load_masking(ROOT / "matrix" / "masking.yaml").selectors
    bad = tmp_path / "bad.yaml"
    bad.write_text("selector: [x]\n")
    with pytest.raises(MaskingError, match="expected the keys"):
        load_masking(bad)
    bad.write_text("selectors: [1, '']\n")
    with pytest.raises(MaskingError, match="list of CSS selector strings"):
        load_masking(bad)


def test_the_rerun_command_carries_every_option_given() -> None:
    args = ReproArgs(
        device="iPhone, iOS 17, Safari",
        journey="book",
        portal="provider",
        client_url="https://c.example",
        provider_url="https://p.example",
        defects="touch-submit",
        mask=".note, .name",
        allow_destructive=True,
    )
    assert command_line(args) == (
        "compat repro --device 'iPhone, iOS 17, Safari' --journey book --portal provider "
        "--client-url https://c.example --provider-url https://p.example --defects touch-submit "
        "--mask '.note, .name' --allow-destructive"
    )
    assert command_line(ReproArgs(device="Android Chrome", journey="sign-in")) == (
        "compat repro --device 'Android Chrome' --journey sign-in"
    )
