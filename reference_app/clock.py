"""Per-scenario clocks: each provisioned scenario may have its own "now".

A scenario without a set clock follows real time. A set clock is frozen at the set instant
(so boundary tests stay exact) until it is set or advanced again, or reset to real time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .store import Store


def real_now() -> datetime:
    """The real current instant in UTC, whole seconds."""
    return datetime.now(UTC).replace(microsecond=0)


def now_for(store: Store, scenario_id: str | None) -> datetime:
    """The current instant for a scenario (real time when it has no clock of its own)."""
    if scenario_id:
        frozen = store.scenario_clock(scenario_id)
        if frozen is not None:
            return frozen
    return real_now()


def set_clock(
    store: Store,
    scenario_id: str,
    *,
    now: datetime | None = None,
    advance_minutes: float | None = None,
    real_time: bool = False,
) -> datetime:
    """Set, advance or reset a scenario's clock; returns the scenario's new "now"."""
    if real_time:
        store.set_scenario_clock(scenario_id, None)
        return real_now()
    if now is None:
        now = now_for(store, scenario_id)
    if advance_minutes:
        now = now + timedelta(minutes=advance_minutes)
    now = now.astimezone(UTC).replace(microsecond=0)
    store.set_scenario_clock(scenario_id, now)
    return now
