"""Recurrence rules to session start times (pure).

Rules are expressed in local wall-clock time and expanded with dateutil's rrule on naive local
datetimes, then placed in the organisation's zone and converted to UTC. That order matters: a weekly
18:00 group stays at 18:00 in Helsinki when summer time ends, so its UTC time shifts by an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import MONTHLY, WEEKLY, rrule, weekday

MAX_SESSIONS = 52


class Cadence(StrEnum):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


@dataclass(frozen=True)
class RecurrenceRule:
    """A weekly rule ("every Tuesday at 18:00", optionally every n weeks) or a monthly rule
    ("first Thursday of each month at 18:00"; nth = -1 means the last one)."""

    cadence: Cadence
    weekday: int  # 0 = Monday … 6 = Sunday
    local_time: time
    interval: int = 1
    nth: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0..6")
        if not 1 <= self.interval <= 4:
            raise ValueError("interval must be 1..4")
        if self.nth not in (1, 2, 3, 4, -1):
            raise ValueError("nth must be 1..4 or -1")


def session_starts(
    rule: RecurrenceRule, first_on: date, count: int, zone: ZoneInfo
) -> list[datetime]:
    """The UTC start times of ``count`` sessions, the first on or after ``first_on``."""
    if not 1 <= count <= MAX_SESSIONS:
        raise ValueError(f"count must be 1..{MAX_SESSIONS}")
    start = datetime.combine(first_on, rule.local_time)
    if rule.cadence is Cadence.WEEKLY:
        local = rrule(
            WEEKLY, dtstart=start, interval=rule.interval, byweekday=rule.weekday, count=count
        )
    else:
        local = rrule(
            MONTHLY, dtstart=start, byweekday=weekday(rule.weekday, rule.nth), count=count
        )
    return [to_utc(naive, zone) for naive in local]


def to_utc(local_naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as an aware UTC datetime.

    A time that does not exist (skipped in the spring) is normalised forward by the round trip.
    """
    return local_naive.replace(tzinfo=zone).astimezone(UTC)
