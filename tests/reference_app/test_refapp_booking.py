"""Client booking journey: choose a room, credits, details, review, book, calendar, room."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from refapp_support import MONDAY_9AM_NEW_YORK, RefApp, text_of
from starlette.testclient import TestClient

from reference_app.domain import utc_iso

TUESDAY_11AM_EST = "2026-12-01T16:00:00Z"


def _book(
    client: TestClient,
    room_id: int,
    start: str = TUESDAY_11AM_EST,
    *,
    session_type: str = "video",
    length: int = 45,
) -> Any:
    values = {"room": room_id, "type": session_type, "length": length, "start": start}
    details = client.post("/schedule/new/details", data={**values, "date": start[:10]})
    assert details.status_code == 303, text_of(details.text)
    review = client.get(details.headers["location"])
    assert review.status_code == 200
    return client.post("/schedule/new/book", data={**values, "policy": "yes"})


def test_choose_room_page(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    page = client.get("/schedule/new").text
    assert "Book a live session" in text_of(page)
    assert "<legend>Choose a provider or room</legend>" in page
    room = scenario["room"]["id"]
    assert f'<label for="room-{room}">Maya Chen · Individual therapy</label>' in page
    assert re.search(r"<button[^>]*>Continue</button>", page)
    chosen = client.post("/schedule/new", data={"room": room})
    assert chosen.headers["location"] == f"/schedule/new/details?room={room}"


def test_schedule_page_basics(app: RefApp) -> None:
    client = app.sign_in(app.provision(credits=2)["client"])
    text = text_of(client.get("/schedule").text)
    assert "Schedule" in text
    assert "Session credits: 2" in text
    assert "Book or start a session" in text
    assert "Your live sessions" in text


def test_details_page_fields(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    page = client.get(f"/schedule/new/details?room={scenario['room']['id']}").text
    assert "<legend>Session type</legend>" in page
    for label in ("Video", "Audio", "Chat"):
        assert f">{label}</label>" in page
    assert '<label for="length">Session length</label>' in page
    for minutes in (30, 45, 60):
        assert f">{minutes} minutes</option>" in page
    assert '<label for="date">Date</label>' in page
    assert 'type="date"' in page
    assert 'value="2026-11-30" min="2026-11-30"' in page
    assert '<label for="start">Time</label>' in page
    assert '<option value="2026-11-30T15:00:00Z" data-local="10:00" selected>10:00 AM EST' in page
    assert 'role="status" data-preview>You picked Monday, November 30 at 10:00 AM EST<' in page
    assert re.search(
        r'<a href="/schedule/new/availability\?room=\d+">I can.t find a time that works for me</a>',
        page,
    )


def test_full_booking_holds_a_credit_and_offers_calendars(app: RefApp) -> None:
    scenario = app.provision(credits=1)
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    booked = _book(client, room)
    assert booked.status_code == 303
    session_id = int(re.search(r"/schedule/sessions/(\d+)/booked", booked.headers["location"])[1])  # type: ignore[index]
    page = client.get(booked.headers["location"])
    text = text_of(page.text)
    assert "Session requested" in text
    assert "Maya Chen will confirm your session soon." in text
    assert "Tue, Dec 1, 2026, 11:00 AM EST" in text
    assert "Add to calendar" in text
    links = dict(re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', page.text))
    by_label = {label: href.replace("&amp;", "&") for href, label in links.items()}
    google = parse_qs(urlsplit(by_label["Google Calendar"]).query)
    assert google["dates"] == ["20261201T160000Z/20261201T164500Z"]
    outlook = parse_qs(urlsplit(by_label["Outlook"]).query)
    assert outlook["startdt"] == ["2026-12-01T16:00:00Z"]
    assert by_label["Apple Calendar (.ics)"] == f"/schedule/sessions/{session_id}/calendar.ics"

    ics = client.get(f"/schedule/sessions/{session_id}/calendar.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert ics.headers["content-disposition"].startswith("attachment;")
    body = ics.content.decode()
    assert "\r\nDTSTART:20261201T160000Z\r\n" in body
    assert "\r\nDTEND:20261201T164500Z\r\n" in body
    assert "\r\nX-WR-TIMEZONE:America/New_York\r\n" in body
    assert "\r\nUID:" in body
    assert "\r\nDTSTAMP:" in body
    assert "\r\nSUMMARY:" in body

    data = client.get("/api/dashboard").json()
    assert data["credits"] == 0
    assert data["upcoming"][0]["status_text"] == "Waiting for provider confirmation"
    session = app.store.session(session_id)
    assert session is not None
    assert session.status == "pending"
    assert session.length == 45
    assert app.store.ledger(scenario["client"]["id"])[-1] == (-1, "held for session", session_id)


def test_review_page_and_policy_checkbox(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    review = client.get(
        f"/schedule/new/review?room={room}&type=audio&length=30&start={TUESDAY_11AM_EST}"
    )
    text = text_of(review.text)
    assert "Review and book" in text
    assert "Cancellation policy" in text
    assert (
        "You can reschedule or cancel for free up to 24 hours before your session. Changes made "
        "less than 24 hours before the start forfeit the session credit." in text
    )
    assert '<label for="policy">I have reviewed the cancellation policy</label>' in review.text
    assert 'name="policy" type="checkbox" value="yes" required' in review.text
    assert re.search(r'<button type="submit"[^>]*>Book session</button>', review.text)
    missing = client.post(
        "/schedule/new/book",
        data={"room": room, "type": "audio", "length": 30, "start": TUESDAY_11AM_EST},
    )
    assert missing.status_code == 422
    assert "Please confirm that you have reviewed the cancellation policy." in missing.text


def test_details_validation_errors(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    no_time = client.post(
        "/schedule/new/details", data={"room": room, "type": "video", "length": 30}
    )
    assert no_time.status_code == 422
    assert 'role="alert"><p>Please choose a time.' in no_time.text
    sunday = client.post(
        "/schedule/new/details",
        data={"room": room, "type": "video", "length": 30, "start": "2026-12-06T16:00:00Z"},
    )
    assert sunday.status_code == 422
    assert "That time is no longer available. Please choose another time." in sunday.text


def test_psychiatry_is_video_only(app: RefApp) -> None:
    scenario = app.provision(room_type="psychiatry")
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    page = client.get(f"/schedule/new/details?room={room}").text
    assert ">Video</label>" in page
    assert ">Audio</label>" not in page
    assert ">Chat</label>" not in page
    assert "Psychiatry sessions are live video only." in page
    assert ">30 minutes</option>" in page
    assert ">45 minutes</option>" not in page
    audio = client.post(
        "/schedule/new/details",
        data={"room": room, "type": "audio", "length": 30, "start": TUESDAY_11AM_EST},
    )
    assert audio.status_code == 422
    assert 'role="alert"><p>Psychiatry sessions are live video only.' in audio.text
    assert _book(client, room, session_type="video", length=30).status_code == 303


def test_couples_room_only_creator_can_schedule(app: RefApp) -> None:
    scenario = app.provision(room_type="couples")
    room = scenario["room"]["id"]
    assert scenario["room"]["creator_id"] == scenario["client"]["id"]
    partner = app.sign_in(scenario["partner"])
    page = partner.get("/schedule/new").text
    assert "Maya Chen · Couples therapy" in page
    refused = partner.post("/schedule/new", data={"room": room})
    assert refused.status_code == 403
    assert (
        'role="alert"><p>Only Alex, who created this room, can schedule live sessions.</p>'
        in refused.text
    )
    assert partner.get(f"/schedule/new/details?room={room}").status_code == 403
    creator = app.sign_in(scenario["client"])
    assert creator.post("/schedule/new", data={"room": room}).status_code == 303
    assert _book(creator, room).status_code == 303
    # The partner sees the booked session but cannot change it.
    schedule = partner.get("/schedule").text
    assert "Tue, Dec 1, 2026, 11:00 AM EST" in schedule
    assert ">Reschedule</a>" not in schedule
    assert ">Cancel session</a>" not in schedule


def test_out_of_credits_with_purchase(app: RefApp) -> None:
    scenario = app.provision(credits=0, plan="standard")
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    chosen = client.post("/schedule/new", data={"room": room})
    assert chosen.headers["location"] == f"/schedule/new/credits?room={room}"
    page = client.get(chosen.headers["location"])
    assert "You're out of session credits" in text_of(page.text)
    assert re.search(r"<button[^>]*>Buy 1 session credit</button>", page.text)
    assert client.get(f"/schedule/new/details?room={room}").status_code == 303
    bought = client.post("/credits/buy", data={"next": f"/schedule/new/details?room={room}"})
    assert bought.headers["location"] == f"/schedule/new/details?room={room}"
    assert client.get("/api/dashboard").json()["credits"] == 1
    assert client.get(bought.headers["location"]).status_code == 200


def test_out_of_credits_without_purchase(app: RefApp) -> None:
    scenario = app.provision(credits=0, plan="no_purchase")
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    page = client.get(f"/schedule/new/credits?room={room}")
    assert "Your plan doesn't include single-session purchases." in text_of(page.text)
    assert "Buy 1 session credit" not in page.text
    assert client.post("/credits/buy", data={"next": "/schedule"}).status_code == 403
    assert client.get("/api/dashboard").json()["credits"] == 0
    booked = client.post(
        "/schedule/new/book",
        data={
            "room": room,
            "type": "video",
            "length": 30,
            "start": TUESDAY_11AM_EST,
            "policy": "yes",
        },
    )
    assert booked.headers["location"] == f"/schedule/new/credits?room={room}"


def test_a_taken_slot_cannot_be_booked_twice(app: RefApp) -> None:
    scenario = app.provision(credits=2)
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    assert _book(client, room).status_code == 303
    again = client.post(
        "/schedule/new/book",
        data={
            "room": room,
            "type": "video",
            "length": 45,
            "start": TUESDAY_11AM_EST,
            "policy": "yes",
        },
    )
    assert again.status_code == 422
    assert "That time is no longer available." in again.text
    assert client.get("/api/dashboard").json()["credits"] == 1


def test_availability_api(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    monday = client.get(f"/api/availability?room={room}&date=2026-11-30").json()
    assert monday["timezone"] == "America/New_York"
    assert monday["slots"][0] == {
        "value": "2026-11-30T15:00:00Z",
        "label": "10:00 AM EST",
        "local": "10:00",
    }
    assert len(monday["slots"]) == 16
    long_ones = client.get(f"/api/availability?room={room}&date=2026-11-30&length=60").json()
    assert long_ones["slots"][-1]["label"] == "5:00 PM EST"
    assert client.get(f"/api/availability?room={room}&date=2026-12-06").json()["slots"] == []
    assert client.get(f"/api/availability?room={room}&date=12/01/2026").status_code == 422
    assert client.get("/api/availability?room=999&date=2026-11-30").status_code == 404


def test_booked_slots_disappear_from_availability(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    _book(client, room)
    labels = [
        s["label"]
        for s in client.get(f"/api/availability?room={room}&date=2026-12-01").json()["slots"]
    ]
    assert "10:30 AM EST" in labels  # ends exactly when the booking starts
    assert "11:00 AM EST" not in labels
    assert "11:30 AM EST" not in labels
    assert "12:00 PM EST" in labels


def test_share_availability(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    page = client.get(f"/schedule/new/availability?room={room}").text
    assert "Share your availability" in text_of(page)
    assert '<label for="availability">When are you available?</label>' in page
    shared = client.post(
        "/schedule/new/availability", data={"room": room, "availability": "Weekday evenings"}
    )
    assert shared.status_code == 200
    assert "We've shared your availability with Maya." in text_of(shared.text)
    assert app.store.availability_notes(room) == ["Weekday evenings"]
    log = client.get("/room").text
    assert "Alex: My availability for a live session: Weekday evenings" in text_of(log)


def test_room_page_and_messages(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    room = scenario["room"]["id"]
    page = client.get("/room").text
    assert "Room with Maya Chen" in text_of(page)
    assert 'role="log"' in page
    assert f'data-draft-key="room-{room}"' in page
    sent = client.post("/room/messages", data={"room": room, "body": "<b>Hello</b> there"})
    assert sent.headers["location"] == f"/room?id={room}&sent=1"
    after = client.get(sent.headers["location"]).text
    assert "<li>Alex: &lt;b&gt;Hello&lt;/b&gt; there</li>" in after
    assert "data-draft-sent" in after


def test_other_clients_rooms_are_not_reachable(app: RefApp) -> None:
    mine, theirs = app.provision(), app.provision()
    client = app.sign_in(mine["client"])
    assert client.get(f"/room?id={theirs['room']['id']}").status_code == 404
    assert client.post("/schedule/new", data={"room": theirs["room"]["id"]}).status_code == 404


def test_booking_uses_the_scenario_clock(app: RefApp) -> None:
    scenario = app.provision(now=MONDAY_9AM_NEW_YORK + timedelta(days=7))
    client = app.sign_in(scenario["client"])
    page = client.get(f"/schedule/new/details?room={scenario['room']['id']}").text
    assert 'value="2026-12-07" min="2026-12-07"' in page
    too_early = client.post(
        "/schedule/new/details",
        data={
            "room": scenario["room"]["id"],
            "type": "video",
            "length": 30,
            "start": utc_iso(MONDAY_9AM_NEW_YORK + timedelta(days=1, hours=2)),
        },
    )
    assert too_early.status_code == 422


def test_details_without_a_time_come_back_on_the_day_that_was_chosen(app: RefApp) -> None:
    scenario = app.provision()
    client = app.sign_in(scenario["client"])
    values = {"room": scenario["room"]["id"], "type": "video", "length": 45, "date": "2026-12-02"}
    page = client.post("/schedule/new/details", data=values)
    assert page.status_code == 422
    assert "Please choose a time." in text_of(page.text)
    assert re.search(r'<input[^>]*name="date"[^>]*value="2026-12-02"', page.text), page.text


def test_a_sessions_details_page_from_the_schedule(app: RefApp) -> None:
    scenario = app.provision()
    start = MONDAY_9AM_NEW_YORK + timedelta(days=3, hours=2)
    session = app.add_session(scenario["scenario"], start, status="pending", length=45)
    client = app.sign_in(scenario["client"])
    sid = session["id"]
    schedule = client.get("/schedule").text
    assert f'<a href="/schedule/sessions/{sid}">Thu, Dec 3, 2026, 11:00 AM EST</a>' in schedule
    page = client.get(f"/schedule/sessions/{sid}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "<h1>Session details</h1>" in page.text
    for expected in (
        "Provider Maya Chen · Individual therapy",
        "Session Video session, 45 minutes",
        "Date and time Thu, Dec 3, 2026, 11:00 AM EST",
        "Status Waiting for provider confirmation",
        "Reschedule",
        "Cancel session",
        "Apple Calendar (.ics)",
    ):
        assert expected in text, expected
    assert f'href="/schedule/sessions/{sid}/calendar.ics"' in page.text
    client.post(f"/schedule/sessions/{sid}/cancel", data={"reason": "Other"})
    canceled = text_of(client.get(f"/schedule/sessions/{sid}").text)
    assert "Status Canceled" in canceled
    assert "Add to calendar" not in canceled and "Reschedule" not in canceled
    other = app.sign_in(app.provision()["client"])
    assert other.get(f"/schedule/sessions/{sid}").status_code == 404
