"""Provider portal: dashboard data, confirm/decline, room message and email, cancel, caseload."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from refapp_support import MONDAY_9AM_NEW_YORK as NOW
from refapp_support import RefApp, text_of
from starlette.testclient import TestClient


def _pending(app: RefApp, **kw: Any) -> tuple[dict[str, Any], TestClient, int]:
    scenario = app.provision(**kw)
    session = app.add_session(
        scenario["scenario"], NOW + timedelta(days=1, hours=2), status="pending", length=45
    )
    return scenario, app.sign_in(scenario["provider"], "provider"), session["id"]


def test_dashboard_page_and_data(app: RefApp) -> None:
    scenario, provider, session_id = _pending(app)
    app.add_session(scenario["scenario"], NOW + timedelta(days=2), status="confirmed")
    page = provider.get("/dashboard").text
    text = text_of(page)
    assert "Welcome, Dr. Chen" in text
    for heading in ("Pending requests", "Upcoming sessions", "Paying clients"):
        assert f">{heading}</h2>" in page
    for name in ("pending", "upcoming", "paying"):
        assert f'data-dashboard-list="{name}"' in page
    data = provider.get("/api/dashboard").json()
    assert data["portal"] == "provider"
    assert data["version"] == 1
    assert data["user_id"] == scenario["provider"]["id"]
    assert data["pending"] == [
        {
            "id": session_id,
            "client": "Alex Morgan",
            "when": "Tue, Dec 1, 2026, 10:00 AM CST",
            "summary": "Video session, 45 minutes",
            "status_text": "Waiting for provider confirmation",
            "label": "Tue, Dec 1, 2026, 10:00 AM CST, Video session, 45 minutes with Alex Morgan",
        }
    ]
    assert [item["when"] for item in data["upcoming"]] == ["Wed, Dec 2, 2026, 8:00 AM CST"]
    assert data["paying"] == [{"id": scenario["client"]["id"], "name": "Alex Morgan"}]


def test_script_builds_named_confirm_and_decline_buttons(app: RefApp) -> None:
    script = app.provider.get("/static/app.1.js").text
    assert "label + ' session with ' + item.client" in script
    assert "answerForm(s, 'confirm', 'Confirm'" in script
    assert "answerForm(s, 'decline', 'Decline'" in script


def test_confirm_posts_room_message_and_email(app: RefApp) -> None:
    scenario, provider, session_id = _pending(app)
    done = provider.post(f"/sessions/{session_id}/confirm")
    assert done.status_code == 303
    assert done.headers["location"] == "/dashboard"
    session = app.store.session(session_id)
    assert session is not None
    assert session.status == "confirmed"

    client = app.sign_in(scenario["client"])
    room = text_of(client.get("/room").text)
    assert "Maya: Your session on Tuesday, December 1 at 11:00 AM EST is confirmed." in room

    emails = app.outbox(scenario["client"]["email"])
    assert len(emails) == 1
    email = emails[0]
    assert email["subject"] == "Your session is confirmed! Mark your calendar."
    assert "Tuesday, December 1, 2026 at 11:00 AM EST" in email["body"]
    assert "45-minute video session" in email["body"]
    (attachment,) = email["attachments"]
    assert attachment["filename"].endswith(".ics")
    assert attachment["content_type"].startswith("text/calendar")
    assert "\r\nDTSTART:20261201T160000Z\r\n" in attachment["content"]
    assert "\r\nDTEND:20261201T164500Z\r\n" in attachment["content"]
    assert "\r\nSTATUS:CONFIRMED\r\n" in attachment["content"]

    data = provider.get("/api/dashboard").json()
    assert data["pending"] == []
    assert len(data["upcoming"]) == 1
    assert provider.post(f"/sessions/{session_id}/confirm").status_code == 409


def test_decline_returns_the_credit(app: RefApp) -> None:
    scenario = app.provision(credits=1)
    client = app.sign_in(scenario["client"])
    booked = client.post(
        "/schedule/new/book",
        data={
            "room": scenario["room"]["id"],
            "type": "chat",
            "length": 30,
            "start": "2026-12-01T16:00:00Z",
            "policy": "yes",
        },
    )
    session_id = int(re.search(r"(\d+)/booked", booked.headers["location"])[1])  # type: ignore[index]
    assert client.get("/api/dashboard").json()["credits"] == 0
    provider = app.sign_in(scenario["provider"], "provider")
    assert provider.post(f"/sessions/{session_id}/decline").status_code == 303
    assert client.get("/api/dashboard").json()["credits"] == 1
    assert "Declined by provider" in text_of(client.get("/schedule").text)
    assert app.outbox(scenario["client"]["email"]) == []


def test_provider_schedule_and_cancel(app: RefApp) -> None:
    scenario = app.provision(credits=0)
    session = app.add_session(scenario["scenario"], NOW + timedelta(hours=3), status="confirmed")
    provider = app.sign_in(scenario["provider"], "provider")
    page = provider.get("/schedule").text
    assert "Mon, Nov 30, 2026, 11:00 AM CST" in text_of(page)
    assert f'href="/schedule/sessions/{session["id"]}/cancel">Cancel session</a>' in page
    form = provider.get(f"/schedule/sessions/{session['id']}/cancel").text
    assert '<label for="reason">Reason for canceling</label>' in form
    assert re.search(r'<button type="submit"[^>]*>Cancel session</button>', form)
    done = provider.post(
        f"/schedule/sessions/{session['id']}/cancel", data={"reason": "Schedule conflict"}
    )
    assert done.headers["location"] == f"/schedule?canceled={session['id']}"
    notice = text_of(provider.get(done.headers["location"]).text)
    assert "Session canceled. Alex's session credit has been returned." in notice
    client = app.sign_in(scenario["client"])
    assert client.get("/api/dashboard").json()["credits"] == 1  # returned even inside 24 h
    (email,) = app.outbox(scenario["client"]["email"])
    assert email["subject"] == "Your session was canceled"
    assert "Monday, November 30, 2026 at 12:00 PM EST" in email["body"]


def test_caseload_lists_active_clients_only(app: RefApp) -> None:
    scenario = app.provision(room_type="couples")
    provider = app.sign_in(scenario["provider"], "provider")
    page = provider.get("/caseload").text
    assert "Caseload" in text_of(page)
    assert ">Paying clients</h2>" in page
    assert "Alex Morgan" in page
    assert "Jamie Morgan" in page
    app.client.post("/__test__/release", json={"scenario": scenario["scenario"]})
    after = provider.get("/caseload").text
    assert "Alex Morgan" not in after
    assert "Jamie Morgan" in after
    names = [c["name"] for c in provider.get("/api/dashboard").json()["paying"]]
    assert names == ["Jamie Morgan"]


def test_providers_only_see_their_own_sessions(app: RefApp) -> None:
    _, _, session_id = _pending(app)
    other = app.sign_in(app.provision()["provider"], "provider")
    assert other.post(f"/sessions/{session_id}/confirm").status_code == 404
    assert other.get(f"/schedule/sessions/{session_id}/cancel").status_code == 404


def test_the_provider_reads_and_writes_in_the_room_from_the_caseload(app: RefApp) -> None:
    scenario = app.provision(room_type="couples")
    room_id = scenario["room"]["id"]
    client = app.sign_in(scenario["client"])
    client.post("/room/messages", data={"room": room_id, "body": "Can we talk on Friday?"})
    provider = app.sign_in(scenario["provider"], "provider")
    caseload = provider.get("/caseload").text
    assert f'<a href="/room?id={room_id}">Alex Morgan</a>' in caseload
    page = provider.get(f"/room?id={room_id}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "<h1>Room with Alex Morgan and Jamie Morgan</h1>" in page.text
    assert 'role="log" aria-label="Conversation"' in page.text
    assert "Alex: Can we talk on Friday?" in text
    sent = provider.post("/room/messages", data={"room": room_id, "body": "Friday at 10 works."})
    assert (sent.status_code, sent.headers["location"]) == (303, f"/room?id={room_id}&sent=1")
    assert "Maya: Friday at 10 works." in text_of(client.get("/room").text)
    assert "Maya: Friday at 10 works." in text_of(provider.get(f"/room?id={room_id}").text)


def test_a_provider_cannot_open_another_providers_room(app: RefApp) -> None:
    scenario = app.provision()
    other = app.sign_in(app.provision()["provider"], "provider")
    room_id = scenario["room"]["id"]
    assert other.get(f"/room?id={room_id}").status_code == 404
    assert other.post("/room/messages", data={"room": room_id, "body": "x"}).status_code == 404
    assert other.get("/room").status_code == 404
