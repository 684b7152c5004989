"""Test hooks (`/__test__/`): provisioning, clocks, sessions, outbox, release; production mode."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from refapp_support import MONDAY_9AM_NEW_YORK, RefApp

from reference_app.clock import real_now
from reference_app.domain import parse_instant


def test_provision_returns_a_complete_scenario(app: RefApp) -> None:
    response = app.client.post("/__test__/provision", json={"label": "smoke"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"scenario", "client", "provider", "room", "now"}
    for role in ("client", "provider"):
        account = body[role]
        assert set(account) == {"id", "email", "password", "first_name", "last_name", "timezone"}
        assert account["email"].endswith("@example.test")
    assert body["client"]["timezone"] == "America/New_York"
    assert body["provider"]["timezone"] == "America/Chicago"
    assert body["room"] == {
        "id": body["room"]["id"],
        "type": "individual",
        "creator_id": body["client"]["id"],
    }
    assert abs(parse_instant(body["now"]) - real_now()) < timedelta(seconds=5)
    assert app.store.user(body["client"]["id"]).credits == 1  # type: ignore[union-attr]


def test_provision_options(app: RefApp) -> None:
    body = app.client.post(
        "/__test__/provision",
        json={
            "room_type": "couples",
            "credits": 0,
            "plan": "no_purchase",
            "client_timezone": "Europe/Berlin",
            "provider_timezone": "America/Los_Angeles",
        },
    ).json()
    assert body["partner"]["timezone"] == "Europe/Berlin"
    assert body["provider"]["timezone"] == "America/Los_Angeles"
    partner = app.store.user(body["partner"]["id"])
    assert partner is not None
    assert partner.plan == "no_purchase"
    assert partner.credits == 0
    room = app.store.room(body["room"]["id"])
    assert room is not None
    assert set(room.member_ids) == {body["client"]["id"], body["partner"]["id"]}


def test_provision_works_without_a_body_and_rejects_bad_input(app: RefApp) -> None:
    assert app.provider.post("/__test__/provision").status_code == 201
    assert app.client.post("/__test__/provision", json={"room_type": "group"}).status_code == 422
    bad_zone = app.client.post("/__test__/provision", json={"client_timezone": "Nowhere/Land"})
    assert bad_zone.status_code == 422
    assert "Nowhere/Land" in bad_zone.text


def test_provisioned_users_are_unique(app: RefApp) -> None:
    emails = set()
    for _ in range(5):
        body = app.client.post("/__test__/provision", json={"room_type": "couples"}).json()
        emails |= {body["client"]["email"], body["partner"]["email"], body["provider"]["email"]}
    assert len(emails) == 15


def test_scenario_clocks_are_independent(app: RefApp) -> None:
    first = app.provision()
    second = app.provision(now=None)
    set_clock = app.client.post(
        "/__test__/clock", json={"scenario": first["scenario"], "advance_minutes": 90}
    )
    assert set_clock.json()["now"] == "2026-11-30T15:30:00Z"
    assert set_clock.json()["frozen"] is True
    assert app.store.scenario_clock(second["scenario"]) is None
    back = app.client.post("/__test__/clock", json={"scenario": first["scenario"], "now": None})
    assert back.json()["frozen"] is False
    assert (
        app.client.post("/__test__/clock", json={"scenario": "s-nope", "now": None}).status_code
        == 404
    )
    assert (
        app.client.post("/__test__/clock", json={"scenario": first["scenario"]}).status_code == 422
    )


def test_the_scenario_clock_drives_upcoming_sessions(app: RefApp) -> None:
    scenario = app.provision()
    app.add_session(scenario["scenario"], MONDAY_9AM_NEW_YORK + timedelta(hours=2))
    client = app.sign_in(scenario["client"])
    assert len(client.get("/api/dashboard").json()["upcoming"]) == 1
    app.set_clock(scenario["scenario"], MONDAY_9AM_NEW_YORK + timedelta(hours=3))
    assert client.get("/api/dashboard").json()["upcoming"] == []


def test_sessions_hook(app: RefApp) -> None:
    scenario = app.provision(room_type="psychiatry")
    created = app.client.post(
        "/__test__/sessions",
        json={
            "scenario": scenario["scenario"],
            "start": "2026-12-01T10:00:00-05:00",
            "status": "pending",
        },
    )
    assert created.status_code == 201
    body = created.json()
    assert body["start"] == "2026-12-01T15:00:00Z"
    assert body["end"] == "2026-12-01T15:30:00Z"
    assert body["status"] == "pending"
    assert body["client_id"] == scenario["client"]["id"]
    assert body["now"] == "2026-11-30T14:00:00Z"
    audio = app.client.post(
        "/__test__/sessions",
        json={"scenario": scenario["scenario"], "start": "2026-12-01T15:00:00Z", "type": "audio"},
    )
    assert audio.status_code == 422
    missing = app.client.post(
        "/__test__/sessions", json={"scenario": "s-missing", "start": "2026-12-01T15:00:00Z"}
    )
    assert missing.status_code == 404


def test_outbox_filters_by_recipient(app: RefApp) -> None:
    first, second = app.provision(), app.provision()
    for scenario in (first, second):
        app.client.post("/forgot-password", data={"email": scenario["client"]["email"]})
    only = app.client.get(
        "/__test__/outbox", params={"to": first["client"]["email"].upper()}
    ).json()
    assert [mail["to"] for mail in only["emails"]] == [first["client"]["email"]]
    assert len(app.client.get("/__test__/outbox").json()["emails"]) == 2


def test_release_bumps_the_version_and_cancels_the_scenarios_client(app: RefApp) -> None:
    scenario = app.provision()
    plain = app.client.post("/__test__/release").json()
    assert plain == {"version": 2, "scenario": None, "canceled_client": None}
    with_scenario = app.provider.post(
        "/__test__/release", json={"scenario": scenario["scenario"]}
    ).json()
    assert with_scenario["version"] == 3
    assert with_scenario["canceled_client"]["id"] == scenario["client"]["id"]
    client = app.store.user(scenario["client"]["id"])
    assert client is not None
    assert client.subscription_status == "canceled"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "path", ["/__test__/provision", "/__test__/clock", "/__test__/outbox", "/__test__/anything"]
)
def test_production_mode_has_no_test_hooks(
    make_app: Callable[..., RefApp], method: str, path: str
) -> None:
    production = make_app(mode="production")
    for browser in (production.client, production.provider):
        assert browser.request(method, path, json={}).status_code == 404
    assert production.client.get("/healthz").json()["mode"] == "production"


def test_deleting_a_scenario_removes_everything_it_created(app: RefApp) -> None:
    body = app.client.post("/__test__/provision", json={"credits": 2}).json()
    scenario = body["scenario"]
    booked = app.client.post(
        "/__test__/sessions",
        json={"scenario": scenario, "start": "2030-01-07T15:00:00Z", "status": "pending"},
    )
    assert booked.status_code == 201
    response = app.client.delete(f"/__test__/scenarios/{scenario}")
    assert response.status_code == 200
    deleted = response.json()["deleted"]
    assert deleted["users"] == 2 and deleted["sessions"] == 1 and deleted["rooms"] == 1
    assert app.store.user(body["client"]["id"]) is None
    assert app.store.session(booked.json()["id"]) is None
    assert app.client.delete(f"/__test__/scenarios/{scenario}").status_code == 404
    other = app.client.post("/__test__/provision").json()  # other scenarios are untouched
    assert app.store.user(other["client"]["id"]) is not None


def test_deleting_a_scenario_is_refused_in_production_mode(make_app: Callable[..., RefApp]) -> None:
    production = make_app(mode="production")
    assert production.client.delete("/__test__/scenarios/s-x").status_code == 404
