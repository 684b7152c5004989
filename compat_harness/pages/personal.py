"""Where the product shows personal and health data: the fields a support screenshot masks.

Written once, like the other page objects, from the product's wording and structure (see
reference_app/CONTRACT.md): names in headings, emails, the room's conversation, message and
availability drafts, the provider's lists of clients, and any list item naming a person.
"""

from __future__ import annotations

import re

from compat_harness.session.base import Locator, Query, Session

# Queries rather than locators: they are bound to a session when a screenshot is taken.
KNOWN_FIELDS: tuple[tuple[str, Query], ...] = (
    ("greeting with the person's name", Query("role", "heading", re.compile(r"^Welcome, "))),
    ("room heading naming the provider", Query("role", "heading", re.compile(r"^Room with "))),
    ("email fields", Query("css", "input[type=email], input[name=email]")),
    ("the room's conversation", Query("css", "[role=log]")),
    ("message and availability drafts", Query("css", "textarea")),
    ("dashboard lists (clients, sessions)", Query("css", "[data-dashboard-list]")),
    ("list items: sessions, clients, rooms", Query("css", "main li")),
    ("rooms named after their provider", Query("css", "fieldset label")),
    ("booking summary naming the provider", Query("css", "main .summary")),
    ("notices naming a person", Query("css", "main .notice[role=status]")),
)


def personal_fields(session: Session) -> list[Locator]:
    """Locators for every known personal field on the session's current page."""
    return [session.locator(query) for _, query in KNOWN_FIELDS]
