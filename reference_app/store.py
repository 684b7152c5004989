"""SQLite store shared by both portals: schema, rows as dataclasses, queries and transactions.

One connection per thread, WAL journal, and `BEGIN IMMEDIATE` for every write that reads first,
so concurrent requests (thread pool, parallel test workers) never interleave a check and a write.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from . import domain
from .clock import real_now

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Row = TypeVar("_Row", bound="DataclassInstance")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scenarios (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL DEFAULT '',
    clock_utc TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('client', 'provider')),
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    scenario_id TEXT REFERENCES scenarios(id),
    plan TEXT NOT NULL DEFAULT 'standard',
    credits INTEGER NOT NULL DEFAULT 0 CHECK (credits >= 0),
    subscription_status TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rooms (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('individual', 'couples', 'psychiatry')),
    provider_id INTEGER NOT NULL REFERENCES users(id),
    creator_id INTEGER NOT NULL REFERENCES users(id),
    scenario_id TEXT REFERENCES scenarios(id),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS room_members (
    room_id INTEGER NOT NULL REFERENCES rooms(id),
    client_id INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (room_id, client_id)
);
CREATE TABLE IF NOT EXISTS availability (
    provider_id INTEGER NOT NULL REFERENCES users(id),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms(id),
    client_id INTEGER NOT NULL REFERENCES users(id),
    provider_id INTEGER NOT NULL REFERENCES users(id),
    type TEXT NOT NULL,
    length_minutes INTEGER NOT NULL,
    start_utc TEXT NOT NULL,
    status TEXT NOT NULL,
    late_cancel INTEGER NOT NULL DEFAULT 0,
    credit_forfeited INTEGER NOT NULL DEFAULT 0,
    late_reschedules INTEGER NOT NULL DEFAULT 0,
    cancel_reason TEXT,
    canceled_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_provider ON sessions (provider_id, start_utc);
CREATE INDEX IF NOT EXISTS sessions_by_room ON sessions (room_id, start_utc);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms(id),
    sender_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS availability_notes (
    id INTEGER PRIMARY KEY,
    room_id INTEGER NOT NULL REFERENCES rooms(id),
    client_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    to_addr TEXT NOT NULL COLLATE NOCASE,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    attachments TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_by_recipient ON outbox (to_addr);
CREATE TABLE IF NOT EXISTS auth_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    portal TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS credit_ledger (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES users(id),
    delta INTEGER NOT NULL,
    reason TEXT NOT NULL,
    session_id INTEGER REFERENCES sessions(id),
    created_at TEXT NOT NULL
);
"""

ACTIVE_STATUSES = ("pending", "confirmed")


# --- errors -------------------------------------------------------------------------------------


class StoreError(Exception):
    """A write that the current data does not allow."""


class NoCreditsError(StoreError):
    """The client has no session credit to hold."""


class SlotTakenError(StoreError):
    """The provider already has a session overlapping that time."""


class InvalidTransitionError(StoreError):
    """The session is not in a state that allows the change."""


# --- rows ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A client or provider account."""

    id: int
    role: str
    email: str
    first_name: str
    last_name: str
    timezone: str
    scenario_id: str | None
    plan: str
    credits: int
    subscription_status: str

    @property
    def full_name(self) -> str:
        """First and last name."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Room:
    """A therapy room: one provider, one or two clients (couples: creator + partner)."""

    id: int
    type: str
    provider_id: int
    creator_id: int
    scenario_id: str | None
    member_ids: tuple[int, ...]

    @property
    def kind_label(self) -> str:
        """`Individual therapy`, `Couples therapy` or `Psychiatry`."""
        return domain.ROOM_KIND_LABELS[self.type]


@dataclass(frozen=True)
class Session:
    """A live session booked in a room."""

    id: int
    room_id: int
    client_id: int
    provider_id: int
    type: str
    length: int
    start: datetime
    status: str
    late_cancel: bool
    credit_forfeited: bool
    late_reschedules: int
    cancel_reason: str | None
    canceled_by: str | None

    @property
    def end(self) -> datetime:
        """Start plus length."""
        return domain.session_end(self.start, self.length)

    @property
    def active(self) -> bool:
        """Pending or confirmed."""
        return self.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class NewSession:
    """What a booking asks for: who, where, which kind, how long, when."""

    room: Room
    client_id: int
    type: str
    length: int
    start: datetime


@dataclass(frozen=True)
class Message:
    """A message in a room."""

    id: int
    room_id: int
    sender_id: int
    sender_first_name: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class Attachment:
    """A file attached to an outbox email."""

    filename: str
    content_type: str
    content: str


@dataclass(frozen=True)
class Email:
    """An email the app "sent" (kept in the outbox)."""

    id: int
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...]
    created_at: datetime


# --- passwords and tokens -----------------------------------------------------------------------

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**12, 8, 1
"""scrypt cost (about 12 ms a hash): modest on purpose, a local test target provisions many users.
The cost is stored in each hash, so changing it never breaks existing passwords."""


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` with a random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against `hash_password` output."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
    )
    return hmac.compare_digest(candidate.hex(), digest)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _ts(value: datetime) -> str:
    return domain.utc_iso(value)


def _dt(text: str) -> datetime:
    return domain.parse_instant(text)


# --- the store ----------------------------------------------------------------------------------


class Store:
    """All persistent data of the app, in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        with self.transaction() as tx:
            tx.execute_script(SCHEMA)
            tx.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('version', '1')")

    # connections and transactions

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=15, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=15000")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """A write transaction (`BEGIN IMMEDIATE`): committed on success, rolled back on error."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _Tx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._conn().execute(sql, params).fetchone()
        return row

    def _all_rows(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        return list(self._conn().execute(sql, params).fetchall())

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # release version

    def version(self) -> int:
        """The current release version (starts at 1)."""
        row = self._one("SELECT value FROM meta WHERE key = 'version'")
        return int(row["value"]) if row else 1

    def bump_version(self) -> int:
        """Make a new release; returns the new version."""
        with self.transaction() as tx:
            tx.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
            row = tx.one("SELECT value FROM meta WHERE key = 'version'")
        assert row is not None
        return int(row["value"])

    # scenarios

    def create_scenario(self, label: str = "") -> str:
        """A new scenario with real time; returns its id."""
        scenario_id = f"s-{secrets.token_hex(6)}"
        with self.transaction() as tx:
            tx.insert("scenarios", id=scenario_id, label=label)
        return scenario_id

    def scenario_exists(self, scenario_id: str) -> bool:
        """Whether the scenario exists."""
        return self._one("SELECT 1 FROM scenarios WHERE id = ?", (scenario_id,)) is not None

    def scenario_clock(self, scenario_id: str) -> datetime | None:
        """The scenario's frozen "now", or None for real time."""
        row = self._one("SELECT clock_utc FROM scenarios WHERE id = ?", (scenario_id,))
        if row is None or row["clock_utc"] is None:
            return None
        return _dt(row["clock_utc"])

    def set_scenario_clock(self, scenario_id: str, now: datetime | None) -> None:
        """Freeze the scenario's clock at `now` (None: back to real time)."""
        with self.transaction() as tx:
            tx.execute(
                "UPDATE scenarios SET clock_utc = ? WHERE id = ?",
                (_ts(now) if now else None, scenario_id),
            )

    def delete_scenario(self, scenario_id: str) -> dict[str, int]:
        """Delete a scenario and everything it created (users, rooms, sessions, messages, notes,
        credits, sign-ins, emails to its users); returns how many rows of each went."""
        users = "SELECT id FROM users WHERE scenario_id = :s"
        rooms = "SELECT id FROM rooms WHERE scenario_id = :s"
        # Children first: the foreign keys are enforced.
        steps = (
            (
                "emails",
                "DELETE FROM outbox WHERE to_addr IN (SELECT email FROM users WHERE scenario_id = :s)",
            ),
            ("credit entries", f"DELETE FROM credit_ledger WHERE client_id IN ({users})"),
            ("sign-ins", f"DELETE FROM auth_sessions WHERE user_id IN ({users})"),
            (
                "messages",
                f"DELETE FROM messages WHERE room_id IN ({rooms}) OR sender_id IN ({users})",
            ),
            ("availability notes", f"DELETE FROM availability_notes WHERE room_id IN ({rooms})"),
            (
                "sessions",
                f"DELETE FROM sessions WHERE room_id IN ({rooms}) OR client_id IN ({users}) OR provider_id IN ({users})",
            ),
            ("room members", f"DELETE FROM room_members WHERE room_id IN ({rooms})"),
            ("rooms", "DELETE FROM rooms WHERE scenario_id = :s"),
            ("availability", f"DELETE FROM availability WHERE provider_id IN ({users})"),
            ("users", "DELETE FROM users WHERE scenario_id = :s"),
            ("scenarios", "DELETE FROM scenarios WHERE id = :s"),
        )
        deleted: dict[str, int] = {}
        with self.transaction() as tx:
            for name, sql in steps:
                deleted[name] = tx.execute(sql, {"s": scenario_id}).rowcount
        return deleted

    def scenario_rooms(self, scenario_id: str) -> list[Room]:
        """The rooms of a scenario."""
        rows = self._all_rows(
            "SELECT id FROM rooms WHERE scenario_id = ? ORDER BY id", (scenario_id,)
        )
        return [room for row in rows if (room := self.room(row["id"])) is not None]

    # users

    def create_user(
        self,
        *,
        role: str,
        email: str,
        password: str,
        first_name: str,
        last_name: str,
        timezone: str,
        scenario_id: str | None = None,
        plan: str = "standard",
        credits: int = 0,
    ) -> User:
        """Insert an account (the password is stored hashed)."""
        password_hash = hash_password(password)
        with self.transaction() as tx:
            user_id = tx.insert(
                "users",
                role=role,
                email=email,
                password_hash=password_hash,
                first_name=first_name,
                last_name=last_name,
                timezone=timezone,
                scenario_id=scenario_id,
                plan=plan,
                credits=credits,
            )
            if credits:
                tx.ledger(user_id, credits, "initial credits", None)
            if role == "provider":
                for window in domain.DEFAULT_AVAILABILITY:
                    tx.insert(
                        "availability",
                        stamped=False,
                        provider_id=user_id,
                        weekday=window.weekday,
                        start_time=window.start.isoformat("minutes"),
                        end_time=window.end.isoformat("minutes"),
                    )
        return self.must_user(user_id)

    def set_password(self, user_id: int, password: str) -> None:
        """Replace an account's password."""
        with self.transaction() as tx:
            tx.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?",
                (hash_password(password), user_id),
            )

    def user(self, user_id: int) -> User | None:
        """An account by id."""
        row = self._one("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    def must_user(self, user_id: int) -> User:
        """An account that must exist (one a row of this store points to)."""
        user = self.user(user_id)
        assert user is not None, f"no user {user_id}"
        return user

    def user_by_email(self, email: str) -> User | None:
        """An account by email (case-insensitive)."""
        row = self._one("SELECT * FROM users WHERE email = ?", (email.strip(),))
        return _user(row) if row else None

    def authenticate(self, email: str, password: str) -> User | None:
        """The account when the email and password match, else None."""
        row = self._one("SELECT * FROM users WHERE email = ?", (email.strip(),))
        if row is None:
            verify_password(password, hash_password("timing equaliser"))
            return None
        return _user(row) if verify_password(password, row["password_hash"]) else None

    def set_subscription_status(self, user_id: int, status: str) -> None:
        """`active` or `canceled`; canceled clients leave their providers' caseloads."""
        with self.transaction() as tx:
            tx.execute("UPDATE users SET subscription_status = ? WHERE id = ?", (status, user_id))

    def add_credits(self, user_id: int, amount: int, reason: str) -> None:
        """Give a client session credits."""
        with self.transaction() as tx:
            tx.move_credits(user_id, amount, reason, None)

    def ledger(self, user_id: int) -> list[tuple[int, str, int | None]]:
        """A client's credit movements: (delta, reason, session id), oldest first."""
        rows = self._all_rows(
            "SELECT delta, reason, session_id FROM credit_ledger WHERE client_id = ? ORDER BY id",
            (user_id,),
        )
        return [(row["delta"], row["reason"], row["session_id"]) for row in rows]

    # auth sessions

    def create_auth_session(self, user_id: int, portal: str) -> str:
        """A new sign-in; returns the random token (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        with self.transaction() as tx:
            tx.insert(
                "auth_sessions", token_hash=_token_hash(token), user_id=user_id, portal=portal
            )
        return token

    def user_for_token(self, token: str, portal: str) -> User | None:
        """The signed-in account for a session token of that portal."""
        row = self._one(
            "SELECT users.* FROM auth_sessions JOIN users ON users.id = auth_sessions.user_id"
            " WHERE token_hash = ? AND portal = ?",
            (_token_hash(token), portal),
        )
        return _user(row) if row else None

    def delete_auth_session(self, token: str) -> None:
        """Sign out that session."""
        with self.transaction() as tx:
            tx.execute("DELETE FROM auth_sessions WHERE token_hash = ?", (_token_hash(token),))

    # rooms and availability

    def create_room(
        self,
        *,
        room_type: str,
        provider_id: int,
        creator_id: int,
        member_ids: Sequence[int],
        scenario_id: str | None = None,
    ) -> Room:
        """A room with its members (the creator is always a member)."""
        with self.transaction() as tx:
            room_id = tx.insert(
                "rooms",
                type=room_type,
                provider_id=provider_id,
                creator_id=creator_id,
                scenario_id=scenario_id,
            )
            for member in dict.fromkeys([creator_id, *member_ids]):
                tx.insert("room_members", stamped=False, room_id=room_id, client_id=member)
        return self.must_room(room_id)

    def room(self, room_id: int) -> Room | None:
        """A room by id."""
        row = self._one("SELECT * FROM rooms WHERE id = ?", (room_id,))
        if row is None:
            return None
        members = self._all_rows(
            "SELECT client_id FROM room_members WHERE room_id = ? ORDER BY client_id", (room_id,)
        )
        return _from_row(Room, row, member_ids=tuple(member["client_id"] for member in members))

    def must_room(self, room_id: int) -> Room:
        """A room that must exist (one a row of this store points to)."""
        room = self.room(room_id)
        assert room is not None, f"no room {room_id}"
        return room

    def rooms_for_client(self, user_id: int) -> list[Room]:
        """The rooms a client belongs to, oldest first."""
        rows = self._all_rows(
            "SELECT room_id FROM room_members WHERE client_id = ? ORDER BY room_id", (user_id,)
        )
        return [room for row in rows if (room := self.room(row["room_id"])) is not None]

    def rooms_for_provider(self, provider_id: int) -> list[Room]:
        """The rooms a provider holds, oldest first."""
        rows = self._all_rows(
            "SELECT id FROM rooms WHERE provider_id = ? ORDER BY id", (provider_id,)
        )
        return [room for row in rows if (room := self.room(row["id"])) is not None]

    def availability(self, provider_id: int) -> list[domain.WeeklyWindow]:
        """A provider's weekly windows (provider-local times)."""
        rows = self._all_rows(
            "SELECT weekday, start_time, end_time FROM availability WHERE provider_id = ?"
            " ORDER BY weekday, start_time",
            (provider_id,),
        )
        return [
            domain.WeeklyWindow(
                row["weekday"],
                time.fromisoformat(row["start_time"]),
                time.fromisoformat(row["end_time"]),
            )
            for row in rows
        ]

    def busy_intervals(
        self,
        provider_id: int,
        start: datetime,
        end: datetime,
        *,
        exclude_session: int | None = None,
    ) -> list[tuple[datetime, datetime]]:
        """Intervals of the provider's pending/confirmed sessions touching [start, end)."""
        return _busy(self._conn(), provider_id, start, end, exclude_session)

    # sessions

    def session(self, session_id: int) -> Session | None:
        """A session by id."""
        return _session_by_id(self._conn(), session_id)

    def sessions_for_client(self, user_id: int) -> list[Session]:
        """Sessions in every room the client belongs to, by start time."""
        rows = self._all_rows(
            "SELECT sessions.* FROM sessions JOIN room_members"
            " ON room_members.room_id = sessions.room_id AND room_members.client_id = ?"
            " ORDER BY start_utc, sessions.id",
            (user_id,),
        )
        return [_session(row) for row in rows]

    def sessions_for_provider(self, provider_id: int, statuses: Sequence[str]) -> list[Session]:
        """A provider's sessions in the given states, by start time."""
        marks = ",".join("?" for _ in statuses)
        rows = self._all_rows(
            f"SELECT * FROM sessions WHERE provider_id = ? AND status IN ({marks})"
            " ORDER BY start_utc, id",
            (provider_id, *statuses),
        )
        return [_session(row) for row in rows]

    def book_session(self, new: NewSession) -> Session:
        """Request a session: holds one credit; fails without credits or on an overlap."""
        end = domain.session_end(new.start, new.length)
        with self.transaction() as tx:
            tx.ensure_credit(new.client_id, "no session credits left")
            if _busy(tx.conn, new.room.provider_id, new.start, end, None):
                raise SlotTakenError("that time was just taken")
            session_id = tx.insert_session(new, "pending")
            tx.move_credits(new.client_id, -1, "held for session", session_id)
        return self._must_session(session_id)

    def insert_session(self, new: NewSession, status: str) -> Session:
        """A session straight into a state, without touching credits (test hooks)."""
        with self.transaction() as tx:
            session_id = tx.insert_session(new, status)
        return self._must_session(session_id)

    def reschedule_session(self, session_id: int, new_start: datetime, *, late: bool) -> Session:
        """Move a pending/confirmed session; it goes back to pending.

        A late change (inside 24 h) forfeits the held credit and holds another one.
        """
        with self.transaction() as tx:
            current = tx.session(session_id)
            if current is None or not current.active:
                raise InvalidTransitionError("only pending or confirmed sessions can be moved")
            end = domain.session_end(new_start, current.length)
            if _busy(tx.conn, current.provider_id, new_start, end, session_id):
                raise SlotTakenError("that time was just taken")
            if late:
                tx.ensure_credit(
                    current.client_id, "a late reschedule needs another session credit"
                )
                tx.ledger(current.client_id, 0, "forfeited: late reschedule", session_id)
                tx.move_credits(current.client_id, -1, "held for rescheduled session", session_id)
            tx.execute(
                "UPDATE sessions SET start_utc = ?, status = 'pending',"
                " late_reschedules = late_reschedules + ?, updated_at = ? WHERE id = ?",
                (_ts(new_start), 1 if late else 0, _ts(real_now()), session_id),
            )
        return self._must_session(session_id)

    def cancel_session(
        self, session_id: int, *, reason: str, canceled_by: str, late: bool
    ) -> Session:
        """Cancel a pending/confirmed session: the held credit is returned, or forfeited if late."""
        with self.transaction() as tx:
            current = tx.session(session_id)
            if current is None or not current.active:
                raise InvalidTransitionError("only pending or confirmed sessions can be canceled")
            tx.execute(
                "UPDATE sessions SET status = 'canceled', cancel_reason = ?, canceled_by = ?,"
                " late_cancel = ?, credit_forfeited = ?, updated_at = ? WHERE id = ?",
                (reason, canceled_by, int(late), int(late), _ts(real_now()), session_id),
            )
            if domain.cancellation_credit(late) == "returned":
                tx.move_credits(current.client_id, 1, "returned: session canceled", session_id)
            else:
                tx.ledger(current.client_id, 0, "forfeited: late cancellation", session_id)
        return self._must_session(session_id)

    def confirm_session(self, session_id: int) -> Session:
        """Provider confirms a pending request."""
        return self._transition(session_id, "pending", "confirmed", return_credit=False)

    def decline_session(self, session_id: int) -> Session:
        """Provider declines a pending request; the held credit goes back to the client."""
        return self._transition(session_id, "pending", "declined", return_credit=True)

    def _transition(
        self, session_id: int, source: str, target: str, *, return_credit: bool
    ) -> Session:
        with self.transaction() as tx:
            current = tx.session(session_id)
            if current is None or current.status != source:
                raise InvalidTransitionError(f"the session is not {source}")
            tx.execute(
                "UPDATE sessions SET status = ?, updated_at = ? WHERE id = ?",
                (target, _ts(real_now()), session_id),
            )
            if return_credit:
                tx.move_credits(current.client_id, 1, f"returned: session {target}", session_id)
        return self._must_session(session_id)

    def _must_session(self, session_id: int) -> Session:
        session = self.session(session_id)
        assert session is not None
        return session

    # caseload

    def caseload(self, provider_id: int) -> list[User]:
        """Active (paying) clients in the provider's rooms, by name."""
        rows = self._all_rows(
            "SELECT DISTINCT users.* FROM users"
            " JOIN room_members ON room_members.client_id = users.id"
            " JOIN rooms ON rooms.id = room_members.room_id"
            " WHERE rooms.provider_id = ? AND users.subscription_status = 'active'"
            " ORDER BY users.last_name, users.first_name, users.id",
            (provider_id,),
        )
        return [_user(row) for row in rows]

    # messages and notes

    def add_message(self, room_id: int, sender_id: int, body: str) -> None:
        """Post a message in a room."""
        with self.transaction() as tx:
            tx.insert("messages", room_id=room_id, sender_id=sender_id, body=body)

    def messages(self, room_id: int) -> list[Message]:
        """A room's messages, oldest first."""
        rows = self._all_rows(
            "SELECT messages.*, users.first_name FROM messages"
            " JOIN users ON users.id = messages.sender_id"
            " WHERE room_id = ? ORDER BY messages.id",
            (room_id,),
        )
        return [
            _from_row(
                Message, row, sender_first_name=row["first_name"], created_at=_dt(row["created_at"])
            )
            for row in rows
        ]

    def add_availability_note(self, room_id: int, client_id: int, body: str) -> None:
        """Record a client's shared availability."""
        with self.transaction() as tx:
            tx.insert("availability_notes", room_id=room_id, client_id=client_id, body=body)

    def availability_notes(self, room_id: int) -> list[str]:
        """Shared availability texts of a room, oldest first."""
        rows = self._all_rows(
            "SELECT body FROM availability_notes WHERE room_id = ? ORDER BY id", (room_id,)
        )
        return [row["body"] for row in rows]

    # outbox

    def send_email(
        self, *, to: str, subject: str, body: str, attachments: Sequence[Attachment] = ()
    ) -> None:
        """Put an email into the outbox."""
        payload = json.dumps(
            [
                {"filename": a.filename, "content_type": a.content_type, "content": a.content}
                for a in attachments
            ]
        )
        with self.transaction() as tx:
            tx.insert("outbox", to_addr=to, subject=subject, body=body, attachments=payload)

    def outbox(self, to: str | None = None) -> list[Email]:
        """Emails sent (to one address, case-insensitive), oldest first."""
        if to is None:
            rows = self._all_rows("SELECT * FROM outbox ORDER BY id")
        else:
            rows = self._all_rows("SELECT * FROM outbox WHERE to_addr = ? ORDER BY id", (to,))
        return [
            _from_row(
                Email,
                row,
                to=row["to_addr"],
                attachments=tuple(Attachment(**item) for item in json.loads(row["attachments"])),
                created_at=_dt(row["created_at"]),
            )
            for row in rows
        ]


class _Tx:
    """Helpers bound to the connection of an open transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(
        self, sql: str, params: Sequence[object] | Mapping[str, object] = ()
    ) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def execute_script(self, script: str) -> None:
        """Run `;`-separated statements inside the open transaction."""
        for statement in script.split(";"):
            if statement.strip():
                self.conn.execute(statement)

    def one(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def insert(self, table: str, *, stamped: bool = True, **values: object) -> int:
        """Insert one row (`created_at` = now unless not `stamped`); returns its rowid. Table and
        column names come from this module only, never from a request."""
        if stamped:
            values["created_at"] = _ts(real_now())
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values())
        )
        return int(cursor.lastrowid or 0)

    def ledger(self, client_id: int, delta: int, reason: str, session_id: int | None) -> None:
        self.insert(
            "credit_ledger", client_id=client_id, delta=delta, reason=reason, session_id=session_id
        )

    def ensure_credit(self, client_id: int, message: str) -> None:
        """`NoCreditsError(message)` unless the client has a session credit to hold."""
        credits = self.one("SELECT credits FROM users WHERE id = ?", (client_id,))
        if credits is None or credits["credits"] < 1:
            raise NoCreditsError(message)

    def move_credits(self, client_id: int, delta: int, reason: str, session_id: int | None) -> None:
        """Add `delta` (negative: hold) to the client's credits and write it in the ledger."""
        self.execute("UPDATE users SET credits = credits + ? WHERE id = ?", (delta, client_id))
        self.ledger(client_id, delta, reason, session_id)

    def session(self, session_id: int) -> Session | None:
        return _session_by_id(self.conn, session_id)

    def insert_session(self, new: NewSession, status: str) -> int:
        now = _ts(real_now())
        return self.insert(
            "sessions",
            stamped=False,
            room_id=new.room.id,
            client_id=new.client_id,
            provider_id=new.room.provider_id,
            type=new.type,
            length_minutes=new.length,
            start_utc=_ts(new.start),
            status=status,
            created_at=now,
            updated_at=now,
        )


def _busy(
    conn: sqlite3.Connection,
    provider_id: int,
    start: datetime,
    end: datetime,
    exclude_session: int | None,
) -> list[tuple[datetime, datetime]]:
    # Sessions are at most a few hours long: widen the lower bound by a day and filter exactly.
    rows = conn.execute(
        "SELECT id, start_utc, length_minutes FROM sessions WHERE provider_id = ?"
        " AND status IN ('pending', 'confirmed') AND start_utc < ? AND start_utc >= ?",
        (provider_id, _ts(end), _ts(start - timedelta(days=1))),
    ).fetchall()
    intervals = []
    for row in rows:
        if row["id"] == exclude_session:
            continue
        busy_start = _dt(row["start_utc"])
        busy_end = domain.session_end(busy_start, row["length_minutes"])
        if busy_start < end and start < busy_end:
            intervals.append((busy_start, busy_end))
    return intervals


def _from_row(cls: type[_Row], row: sqlite3.Row, **computed: object) -> _Row:
    """A row dataclass from the columns named like its fields; `computed` gives the others."""
    named = {f.name: row[f.name] for f in fields(cls) if f.name not in computed}
    return cls(**named, **computed)


def _session_by_id(conn: sqlite3.Connection, session_id: int) -> Session | None:
    row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return _session(row) if row else None


def _user(row: sqlite3.Row) -> User:
    return _from_row(User, row)


def _session(row: sqlite3.Row) -> Session:
    return _from_row(
        Session,
        row,
        length=row["length_minutes"],
        start=_dt(row["start_utc"]),
        late_cancel=bool(row["late_cancel"]),
        credit_forfeited=bool(row["credit_forfeited"]),
    )
