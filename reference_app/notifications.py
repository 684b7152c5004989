"""What the app tells people about sessions: calendar entries, room messages and emails."""

from __future__ import annotations

from datetime import datetime

from . import domain
from .config import AppConfig
from .store import Attachment, Session, Store, User

CONFIRMED_SUBJECT = "Your session is confirmed! Mark your calendar."
PROVIDER_CANCELED_SUBJECT = "Your session was canceled"


def calendar_event(
    config: AppConfig, session: Session, client: User, provider: User
) -> domain.CalendarEvent:
    """The calendar entry for a session, in the client's time zone."""
    kind = domain.SESSION_TYPE_LABELS.get(session.type, session.type).lower()
    return domain.CalendarEvent(
        uid=f"haven-session-{session.id}@haven.example.test",
        start=session.start,
        end=session.end,
        summary=f"Haven {kind} session with {provider.full_name}",
        description=(
            f"{session.length}-minute {kind} session with {provider.full_name}. "
            "Join from your Schedule page 10 minutes before the start: "
            f"{config.client_url}/schedule"
        ),
        location=f"{config.client_url}/sessions/{session.id}/join",
        timezone=client.timezone,
        status="CONFIRMED" if session.status == "confirmed" else "TENTATIVE",
    )


def ics_attachment(
    config: AppConfig, session: Session, client: User, provider: User, *, stamp: datetime
) -> Attachment:
    """The session's .ics file as an email attachment."""
    text = domain.build_ics(calendar_event(config, session, client, provider), stamp=stamp)
    return Attachment(
        filename=f"haven-session-{session.id}.ics",
        content_type="text/calendar; charset=utf-8; method=PUBLISH",
        content=text,
    )


def confirmation_room_message(session: Session, client: User) -> str:
    """The provider's room message when a session is confirmed (client's time zone)."""
    return (
        f"Your session on {domain.format_day(session.start, client.timezone)} at "
        f"{domain.format_time(session.start, client.timezone)} is confirmed."
    )


def send_confirmation(
    store: Store,
    config: AppConfig,
    session: Session,
    client: User,
    provider: User,
    *,
    stamp: datetime,
) -> None:
    """Email the client that the provider confirmed the session (with an .ics attachment)."""
    when = domain.format_email_when(
        session.start, client.timezone, utc_clock=config.defect("email-utc-time")
    )
    body = (
        f"Hi {client.first_name},\n\n"
        f"{provider.full_name} confirmed your "
        f"{domain.describe_session_inline(session.type, session.length)} on {when}.\n\n"
        "You can join from your Schedule page 10 minutes before the start time.\n"
        "Need to change it? Reschedule or cancel for free up to 24 hours before the session.\n\n"
        f"{config.client_url}/schedule\n\n"
        "The Haven team\n"
    )
    store.send_email(
        to=client.email,
        subject=CONFIRMED_SUBJECT,
        body=body,
        attachments=[ics_attachment(config, session, client, provider, stamp=stamp)],
    )


def send_provider_cancellation(
    store: Store, config: AppConfig, session: Session, client: User, provider: User
) -> None:
    """Email the client that the provider canceled (the credit was returned)."""
    when = domain.format_email_when(session.start, client.timezone)
    body = (
        f"Hi {client.first_name},\n\n"
        f"{provider.full_name} had to cancel your "
        f"{domain.describe_session_inline(session.type, session.length)} on {when}.\n"
        "Your session credit has been returned, so you can book another time.\n\n"
        f"{config.client_url}/schedule/new\n\n"
        "The Haven team\n"
    )
    store.send_email(to=client.email, subject=PROVIDER_CANCELED_SUBJECT, body=body)
