"""How the page objects write a session's time (each viewer's zone, the product's wording) and
read a Time field's offered times."""

from __future__ import annotations

import pytest

from compat_harness.pages.sessions import LiveSession, offered_times_problem

NY, CHICAGO = "America/New_York", "America/Chicago"


def test_one_instant_in_each_persons_zone_and_the_products_wording() -> None:
    live = LiveSession.at("2027-02-04T16:00:00Z", 45)
    assert live.when(NY) == "Thu, Feb 4, 2027, 11:00 AM EST"
    assert live.when(CHICAGO) == "Thu, Feb 4, 2027, 10:00 AM CST"
    assert live.day(NY) == "Thursday, February 4"
    assert live.long_when(NY) == "Thursday, February 4, 2027 at 11:00 AM EST"
    assert live.date_field(NY) == "2027-02-04"
    assert live.summary == "Video session, 45 minutes"
    assert live.status_text == "Confirmed"
    assert live.end.isoformat() == "2027-02-04T16:45:00+00:00"


def test_a_picked_day_and_time_is_the_instant_in_the_pickers_zone() -> None:
    picked = LiveSession.picked("2027-02-03", "11:00 AM EST", NY, 45, "Video")
    assert picked.start.isoformat() == "2027-02-03T16:00:00+00:00"
    assert (picked.status_text, picked.when(CHICAGO)) == (
        "Waiting for provider confirmation",
        "Wed, Feb 3, 2027, 10:00 AM CST",
    )
    summer = LiveSession.picked("2027-07-01", "9:30 AM EDT", NY, 30, "Chat")
    assert summer.start.isoformat() == "2027-07-01T13:30:00+00:00"
    assert summer.time(NY) == "9:30 AM EDT"


@pytest.mark.parametrize(
    ("labels", "problem"),
    [
        (["9:00 AM EST", "9:30 AM EST", "1:00 PM EST"], None),
        ([], None),
        (["10:00 AM EST", "9:30 AM EST"], "not in order"),
        (["9:00 AM EST", "9:00 AM EST"], "not in order"),
        (["12:30 PM EST", "12:00 PM EST"], "not in order"),
        (["9:00 AM EST", "10:00 AM CST"], "mix time zones"),
        (["9:00"], "not a time of day with its zone"),
        (["Invalid Date"], "not a time of day with its zone"),
    ],
)
def test_offered_times_read_as_a_list_of_times_earliest_first(
    labels: list[str], problem: str | None
) -> None:
    found = offered_times_problem(labels)
    assert (found is None) if problem is None else (found is not None and problem in found)
