from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from server.scheduling.recurrence import Cadence, RecurrenceRule, session_starts

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_weekly_18_00_series_stays_at_18_00_local_when_summer_time_ends():
    # Summer time ends in Finland on Sunday 25 October 2026.
    rule = RecurrenceRule(Cadence.WEEKLY, weekday=1, local_time=time(18, 0))
    starts = session_starts(rule, date(2026, 10, 13), 3, HELSINKI)

    assert [s.astimezone(HELSINKI).strftime("%a %d.%m. %H:%M") for s in starts] == [
        "Tue 13.10. 18:00",
        "Tue 20.10. 18:00",
        "Tue 27.10. 18:00",
    ]
    assert [s.hour for s in starts] == [15, 15, 16]  # UTC+3 before, UTC+2 after
    assert all(s.tzinfo is UTC for s in starts)


def test_monthly_rule_gives_the_first_thursday_of_each_month():
    rule = RecurrenceRule(Cadence.MONTHLY, weekday=3, local_time=time(18, 0), nth=1)
    starts = session_starts(rule, date(2026, 11, 23), 3, HELSINKI)

    assert [s.astimezone(HELSINKI).date() for s in starts] == [
        date(2026, 12, 3),
        date(2027, 1, 7),
        date(2027, 2, 4),
    ]


def test_last_weekday_of_the_month_rule():
    rule = RecurrenceRule(Cadence.MONTHLY, weekday=0, local_time=time(17, 0), nth=-1)
    starts = session_starts(rule, date(2026, 1, 1), 2, HELSINKI)
    assert [s.astimezone(HELSINKI).date() for s in starts] == [date(2026, 1, 26), date(2026, 2, 23)]


def test_every_second_week():
    rule = RecurrenceRule(Cadence.WEEKLY, weekday=2, local_time=time(9, 30), interval=2)
    starts = session_starts(rule, date(2026, 3, 2), 3, HELSINKI)
    assert [s.astimezone(HELSINKI).day for s in starts] == [4, 18, 1]


def test_first_session_is_on_or_after_the_first_possible_date():
    rule = RecurrenceRule(Cadence.WEEKLY, weekday=0, local_time=time(18, 0))
    starts = session_starts(rule, date(2026, 11, 23), 1, HELSINKI)  # a Monday
    assert starts[0] == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("count", [0, 53, -1])
def test_session_count_is_bounded(count):
    rule = RecurrenceRule(Cadence.WEEKLY, weekday=0, local_time=time(18, 0))
    with pytest.raises(ValueError):
        session_starts(rule, date(2026, 1, 1), count, HELSINKI)


@pytest.mark.parametrize(
    "kwargs", [{"weekday": 7}, {"weekday": -1}, {"interval": 5}, {"nth": 0}, {"nth": 5}]
)
def test_rule_rejects_impossible_values(kwargs):
    base = {"cadence": Cadence.MONTHLY, "weekday": 3, "local_time": time(18, 0)}
    with pytest.raises(ValueError):
        RecurrenceRule(**(base | kwargs))
