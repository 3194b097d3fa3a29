"""Series and sessions: the rules of their life cycle (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from server.enrolment.rules import Occupancy, SeriesStatus
from server.errors import ErrorCode, TupaError

MAX_CAPACITY = 200
MAX_THEMES = 52


class MediaMode(StrEnum):
    """How a session meets: text only, everyone on video, or a stage with an audience."""

    CHAT = "chat"
    GROUP = "group"
    STAGE = "stage"


class SessionStatus(StrEnum):
    PLANNED = "planned"
    CANCELLED = "cancelled"


class LifeSituation(StrEnum):
    """The target group a parent filters by: life situation, not diagnosis (as LASSO does)."""

    SEPARATION = "separation"
    BABY = "baby"
    UNDER_SCHOOL_AGE = "under_school_age"
    SCHOOL_AGE = "school_age"
    CHILD_PROTECTION = "child_protection"
    WELLBEING = "wellbeing"


def validate_sizes(capacity: int, min_size: int) -> None:
    """Raises INVALID_INPUT unless 1 <= min_size <= capacity <= MAX_CAPACITY."""
    if not 1 <= capacity <= MAX_CAPACITY:
        raise TupaError(ErrorCode.INVALID_INPUT, field="capacity")
    if not 1 <= min_size <= capacity:
        raise TupaError(ErrorCode.INVALID_INPUT, field="min_size")


def needs_decision(
    status: SeriesStatus, deadline: datetime, occupancy: Occupancy, now: datetime
) -> bool:
    """True when enrolment has closed below the minimum and nobody has decided yet.

    The source material tells of a group planned twice and cancelled twice for too few parents;
    the coordinator must see this at the deadline, not on the day of the first session.
    """
    return status is SeriesStatus.OPEN and now >= deadline and occupancy.below_minimum


def check_can_move(status: SessionStatus, new_start: datetime, now: datetime) -> None:
    """Raises SESSION_CANCELLED or SESSION_IN_PAST when a session cannot move to ``new_start``."""
    if status is SessionStatus.CANCELLED:
        raise TupaError(ErrorCode.SESSION_CANCELLED)
    if new_start <= now:
        raise TupaError(ErrorCode.SESSION_IN_PAST)


def themes_for(count: int, themes: list[str]) -> list[str]:
    """One theme per session: the template's themes in order, empty where it has fewer."""
    return [themes[i] if i < len(themes) else "" for i in range(count)]


ROOM_STAYS_OPEN_AFTER = timedelta(hours=1)


def room_is_joinable(
    status: SessionStatus,
    starts_at: datetime,
    duration_minutes: int,
    now: datetime,
    opens_before: timedelta,
) -> bool:
    """Whether the session's room link is offered now: from the opening window until an hour
    after the scheduled end (a group that runs late is not cut off from its own room)."""
    if status is SessionStatus.CANCELLED:
        return False
    end = starts_at + timedelta(minutes=duration_minutes) + ROOM_STAYS_OPEN_AFTER
    return starts_at - opens_before <= now <= end
