"""Reschedule, cancel (the 24-hour rule and credits), schedule list and the join window."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from refapp_support import MONDAY_9AM_NEW_YORK as NOW
from refapp_support import RefApp, text_of
from starlette.testclient import TestClient

LATE_WARNING = (
    "This session starts in less than 24 hours. If you continue, your session credit will be "
    "forfeited."
)
WEDNESDAY_11AM_EST = "2026-12-02T16:00:00Z"


def _setup(
    app: RefApp, starts_in: timedelta, *, credits: int = 1, status: str = "confirmed", **kw: Any
) -> tuple[dict[str, Any], TestClient, int]:
    scenario = app.provision(credits=credits, **kw)
    session = app.add_session(scenario["scenario"], NOW + starts_in, status=status, length=30)
    return scenario, app.sign_in(scenario["client"]), session["id"]


def _credits(client: TestClient) -> int:
    credits: int = client.get("/api/dashboard").json()["credits"]
    return credits


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_page_wording(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(days=3))
    page = client.get(f"/schedule/sessions/{session_id}/cancel").text
    assert "Cancel session" in text_of(page)
    assert '<label for="reason">Reason for canceling</label>' in page
    for reason in ("Schedule conflict", "Feeling better", "Technical issues", "Other"):
        assert f"<option>{reason}</option>" in page
    assert re.search(r'<button type="submit"[^>]*>Cancel session</button>', page)
    assert LATE_WARNING not in page


@pytest.mark.parametrize("starts_in", [timedelta(hours=24), timedelta(days=2)])
def test_cancel_at_least_24_hours_ahead_returns_the_credit(
    app: RefApp, starts_in: timedelta
) -> None:
    _, client, session_id = _setup(app, starts_in)
    assert LATE_WARNING not in client.get(f"/schedule/sessions/{session_id}/cancel").text
    done = client.post(f"/schedule/sessions/{session_id}/cancel", data={"reason": "Other"})
    assert done.headers["location"] == f"/schedule?canceled={session_id}"
    text = text_of(client.get(done.headers["location"]).text)
    assert "Session canceled. Your session credit has been returned." in text
    assert _credits(client) == 2
    session = app.store.session(session_id)
    assert session is not None
    assert (session.status, session.late_cancel, session.credit_forfeited) == (
        "canceled",
        False,
        False,
    )
    assert session.cancel_reason == "Other"
    assert session.canceled_by == "client"


def test_cancel_inside_24_hours_forfeits_after_confirmation(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(hours=23, minutes=59, seconds=59))
    page = client.get(f"/schedule/sessions/{session_id}/cancel").text
    assert f'role="alert"><p>{LATE_WARNING}</p>' in page
    assert '<label for="forfeit">I understand I will lose this session credit</label>' in page
    assert 'name="forfeit" type="checkbox" value="yes" required' in page
    refused = client.post(f"/schedule/sessions/{session_id}/cancel", data={"reason": "Other"})
    assert refused.status_code == 422
    done = client.post(
        f"/schedule/sessions/{session_id}/cancel", data={"reason": "Other", "forfeit": "yes"}
    )
    text = text_of(client.get(done.headers["location"]).text)
    assert (
        "Session canceled. Your session credit was forfeited because you canceled less than "
        "24 hours before the start." in text
    )
    assert _credits(client) == 1
    session = app.store.session(session_id)
    assert session is not None
    assert session.late_cancel
    assert session.credit_forfeited


def test_cancel_needs_a_known_reason(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(days=2))
    bad = client.post(f"/schedule/sessions/{session_id}/cancel", data={"reason": "Bored"})
    assert bad.status_code == 422


def test_pending_sessions_can_be_canceled_too(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(days=2), status="pending")
    schedule = client.get("/schedule").text
    assert "Waiting for provider confirmation" in schedule
    assert f'href="/schedule/sessions/{session_id}/cancel"' in schedule
    client.post(f"/schedule/sessions/{session_id}/cancel", data={"reason": "Feeling better"})
    assert "Canceled" in text_of(client.get("/schedule").text)


def test_started_or_canceled_sessions_cannot_be_changed(app: RefApp) -> None:
    scenario, client, session_id = _setup(app, timedelta(minutes=-5))
    assert client.get(f"/schedule/sessions/{session_id}/cancel").status_code == 409
    canceled = app.add_session(scenario["scenario"], NOW + timedelta(days=2), status="canceled")
    assert client.get(f"/schedule/sessions/{canceled['id']}/reschedule").status_code == 409


# --- reschedule --------------------------------------------------------------------------------


def test_reschedule_page_wording(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(days=2))
    page = client.get(f"/schedule/sessions/{session_id}/reschedule").text
    assert "Reschedule session" in text_of(page)
    assert '<label for="date">Date</label>' in page
    assert '<label for="start">Time</label>' in page
    assert "/api/availability?room=" in page
    assert f"&amp;session={session_id}" in page
    assert re.search(r'<button type="submit"[^>]*>Confirm rescheduling</button>', page)
    assert LATE_WARNING not in page


def test_free_reschedule_goes_back_to_pending(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(days=2))
    done = client.post(
        f"/schedule/sessions/{session_id}/reschedule", data={"start": WEDNESDAY_11AM_EST}
    )
    assert done.headers["location"] == f"/schedule?rescheduled={session_id}"
    text = text_of(client.get(done.headers["location"]).text)
    assert "Session rescheduled." in text
    assert "Wed, Dec 2, 2026, 11:00 AM EST" in text
    assert "Waiting for provider confirmation" in text
    assert _credits(client) == 1
    session = app.store.session(session_id)
    assert session is not None
    assert session.status == "pending"
    assert session.late_reschedules == 0


def test_late_reschedule_forfeits_the_held_credit(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(hours=20), credits=1)
    page = client.get(f"/schedule/sessions/{session_id}/reschedule").text
    assert LATE_WARNING in page
    assert "I understand I will lose this session credit" in page
    refused = client.post(
        f"/schedule/sessions/{session_id}/reschedule", data={"start": WEDNESDAY_11AM_EST}
    )
    assert refused.status_code == 422
    done = client.post(
        f"/schedule/sessions/{session_id}/reschedule",
        data={"start": WEDNESDAY_11AM_EST, "forfeit": "yes"},
    )
    assert done.status_code == 303
    assert _credits(client) == 0
    session = app.store.session(session_id)
    assert session is not None
    assert session.late_reschedules == 1
    assert session.status == "pending"


def test_late_reschedule_without_a_spare_credit(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(hours=20), credits=0)
    page = client.get(f"/schedule/sessions/{session_id}/reschedule").text
    assert "You need another session credit to reschedule this close to the start." in page
    assert "Buy 1 session credit" in page
    assert "Confirm rescheduling" not in page
    refused = client.post(
        f"/schedule/sessions/{session_id}/reschedule",
        data={"start": WEDNESDAY_11AM_EST, "forfeit": "yes"},
    )
    assert refused.status_code == 409


def test_reschedule_rejects_unavailable_times(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(days=2))
    sunday = client.post(
        f"/schedule/sessions/{session_id}/reschedule", data={"start": "2026-12-06T16:00:00Z"}
    )
    assert sunday.status_code == 409
    assert "That time is no longer available." in sunday.text


def test_availability_for_a_reschedule_frees_the_sessions_own_slot(app: RefApp) -> None:
    scenario, client, _ = _setup(app, timedelta(days=1, hours=2))  # Tue 11:00 AM EST
    booked = app.add_session(scenario["scenario"], NOW + timedelta(days=1, hours=3))
    room = scenario["room"]["id"]
    plain = client.get(f"/api/availability?room={room}&date=2026-12-01").json()
    own = client.get(f"/api/availability?room={room}&date=2026-12-01&session={booked['id']}").json()
    plain_labels = {slot["label"] for slot in plain["slots"]}
    own_labels = {slot["label"] for slot in own["slots"]}
    assert "12:00 PM EST" not in plain_labels
    assert "12:00 PM EST" in own_labels
    assert "11:00 AM EST" not in own_labels  # the other session still blocks its time


# --- schedule list and join window -------------------------------------------------------------


def test_schedule_list_items(app: RefApp) -> None:
    scenario, client, session_id = _setup(app, timedelta(days=1))
    app.add_session(scenario["scenario"], NOW + timedelta(days=4), status="declined")
    page = client.get("/schedule").text
    assert (
        f'aria-label="Tue, Dec 1, 2026, 9:00 AM EST, Video session, 30 minutes with Maya Chen, '
        f'Confirmed" data-session-id="{session_id}"'
    ) in page
    assert "Declined by provider" in text_of(page)
    assert text_of(page).count("Reschedule") == 1  # declined sessions have no actions
    assert "You can join 10 minutes before the start time." in text_of(page)
    assert ">Join session</a>" not in page


@pytest.mark.parametrize(
    ("minutes_before", "joinable"), [(11, False), (10, True), (0, True), (-29, True), (-30, False)]
)
def test_join_link_window(app: RefApp, minutes_before: int, joinable: bool) -> None:
    _scenario, client, session_id = _setup(app, timedelta(minutes=minutes_before))
    page = client.get("/schedule").text
    assert (f'href="/sessions/{session_id}/join">Join session</a>' in page) is joinable
    join = client.get(f"/sessions/{session_id}/join")
    assert join.status_code == (200 if joinable else 409)
    assert ("<h1>Live session</h1>" in join.text) is joinable
    if minutes_before > 10:
        assert "You can join 10 minutes before the start time." in text_of(page)


def test_pending_sessions_cannot_be_joined(app: RefApp) -> None:
    _, client, session_id = _setup(app, timedelta(minutes=5), status="pending")
    assert client.get(f"/sessions/{session_id}/join").status_code == 409


def test_clock_advance_moves_a_session_into_the_join_window(app: RefApp) -> None:
    scenario, client, session_id = _setup(app, timedelta(minutes=30))
    assert client.get(f"/sessions/{session_id}/join").status_code == 409
    app.client.post(
        "/__test__/clock", json={"scenario": scenario["scenario"], "advance_minutes": 21}
    )
    assert client.get(f"/sessions/{session_id}/join").status_code == 200
