"""Provisioning scenarios: a provider, one or two clients, a room and a clock, created together."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from . import domain
from .clock import now_for
from .store import Room, Store, User

CLIENT_NAME = ("Alex", "Morgan")
PARTNER_NAME = ("Jamie", "Morgan")
THERAPIST_NAME = ("Maya", "Chen")
PSYCHIATRIST_NAME = ("Samuel", "Okafor")

DEMO_CLIENT_EMAIL = "demo.client@example.test"
DEMO_PROVIDER_EMAIL = "demo.provider@example.test"


@dataclass(frozen=True)
class Account:
    """A created user together with its plain password (only ever returned to the caller)."""

    user: User
    password: str

    def as_json(self) -> dict[str, Any]:
        """The account as the provisioning hook returns it."""
        return {
            "id": self.user.id,
            "email": self.user.email,
            "password": self.password,
            "first_name": self.user.first_name,
            "last_name": self.user.last_name,
            "timezone": self.user.timezone,
        }


@dataclass(frozen=True)
class Scenario:
    """Everything one provisioning call created."""

    id: str
    client: Account
    provider: Account
    room: Room
    partner: Account | None = None

    def as_json(self, store: Store) -> dict[str, Any]:
        """The `/__test__/provision` response body."""
        body: dict[str, Any] = {
            "scenario": self.id,
            "client": self.client.as_json(),
            "provider": self.provider.as_json(),
            "room": {
                "id": self.room.id,
                "type": self.room.type,
                "creator_id": self.room.creator_id,
            },
            "now": domain.utc_iso(now_for(store, self.id)),
        }
        if self.partner is not None:
            body["partner"] = self.partner.as_json()
        return body


def _unique_email(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}@example.test"


def provision(
    store: Store,
    *,
    room_type: str = "individual",
    credits: int = 1,
    plan: str = "standard",
    client_timezone: str = "America/New_York",
    provider_timezone: str = "America/Chicago",
    label: str = "",
    client_email: str | None = None,
    provider_email: str | None = None,
    password: str | None = None,
    client_name: tuple[str, str] = CLIENT_NAME,
    provider_name: tuple[str, str] | None = None,
) -> Scenario:
    """Create a scenario with unique users (ValueError for unknown types, plans or zones)."""
    if room_type not in domain.ROOM_TYPES:
        raise ValueError(f"room_type must be one of {', '.join(domain.ROOM_TYPES)}")
    if plan not in domain.PLANS:
        raise ValueError(f"plan must be one of {', '.join(domain.PLANS)}")
    if credits < 0:
        raise ValueError("credits must be 0 or more")
    for tz in (client_timezone, provider_timezone):
        if not domain.is_valid_zone(tz):
            raise ValueError(f"unknown time zone: {tz}")

    scenario_id = store.create_scenario(label)

    def account(role: str, email: str, name: tuple[str, str], tz: str) -> Account:
        secret = password or secrets.token_urlsafe(12)
        user = store.create_user(
            role=role,
            email=email,
            password=secret,
            first_name=name[0],
            last_name=name[1],
            timezone=tz,
            scenario_id=scenario_id,
            plan=plan,
            credits=credits if role == "client" else 0,
        )
        return Account(user, secret)

    provider_name = provider_name or (
        PSYCHIATRIST_NAME if room_type == "psychiatry" else THERAPIST_NAME
    )
    provider = account(
        "provider", provider_email or _unique_email("p"), provider_name, provider_timezone
    )
    client = account("client", client_email or _unique_email("c"), client_name, client_timezone)
    partner = None
    if room_type == "couples":
        partner = account("client", _unique_email("c"), PARTNER_NAME, client_timezone)
    room = store.create_room(
        room_type=room_type,
        provider_id=provider.user.id,
        creator_id=client.user.id,
        member_ids=[client.user.id] + ([partner.user.id] if partner else []),
        scenario_id=scenario_id,
    )
    return Scenario(id=scenario_id, client=client, provider=provider, room=room, partner=partner)


def seed_demo(store: Store, password: str | None = None) -> dict[str, dict[str, str]]:
    """The demo client (individual room) and provider; resets their passwords if they exist.

    Without `password` each account gets its own random password.
    """
    client_password = password or secrets.token_urlsafe(12)
    provider_password = password or secrets.token_urlsafe(12)
    existing_client = store.user_by_email(DEMO_CLIENT_EMAIL)
    existing_provider = store.user_by_email(DEMO_PROVIDER_EMAIL)
    if existing_client and existing_provider:
        store.set_password(existing_client.id, client_password)
        store.set_password(existing_provider.id, provider_password)
    else:
        scenario = provision(
            store,
            label="demo",
            credits=3,
            client_email=DEMO_CLIENT_EMAIL,
            provider_email=DEMO_PROVIDER_EMAIL,
        )
        store.set_password(scenario.client.user.id, client_password)
        store.set_password(scenario.provider.user.id, provider_password)
    return {
        "client": {"email": DEMO_CLIENT_EMAIL, "password": client_password},
        "provider": {"email": DEMO_PROVIDER_EMAIL, "password": provider_password},
    }
