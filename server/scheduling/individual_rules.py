"""Individual times: who may book, move or cancel one, and who may enter its room (pure).

A facilitator offers times to the parents of a series (Minä, tunteet ja taidot: "individual work
when needed"); a parent with a seat books one, up to the series' limit at once. The room of a
booked time admits that parent and the series' staff, nobody else.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from server.enrolment.rules import EnrolmentStatus
from server.errors import ErrorCode, TupaError
from server.scheduling.series import MediaMode, SessionStatus

MAX_LIMIT = 10  # individual times one parent may hold at once, at most
MAX_OFFERED = 20  # times offered in one go


class SessionKind(StrEnum):
    GROUP = "group"
    INDIVIDUAL = "individual"


def individual_media(series_mode: MediaMode) -> MediaMode:
    """Chat for a chat series; otherwise video for the two (a stage has no audience here)."""
    return MediaMode.CHAT if series_mode is MediaMode.CHAT else MediaMode.GROUP


def may_enter(kind: str, booked_enrolment_id: int | None, enrolment_id: int) -> bool:
    """A parent may enter a group session's room; an individual one's only when they booked it."""
    return kind != SessionKind.INDIVIDUAL.value or booked_enrolment_id == enrolment_id


def check_limit(limit: int) -> None:
    """Raises INVALID_INPUT (field individual_limit) unless 1 <= limit <= MAX_LIMIT."""
    if not 1 <= limit <= MAX_LIMIT:
        raise TupaError(ErrorCode.INVALID_INPUT, field="individual_limit")


def check_bookable(
    *,
    enrolment_status: str,
    time_status: str,
    starts_at: datetime,
    taken_by_another: bool,
    held: int,
    limit: int,
    now: datetime,
) -> None:
    """Raises unless a parent may book this time now.

    FORBIDDEN without a seat, SESSION_CANCELLED for a withdrawn time, SESSION_IN_PAST once it
    has begun, TIME_TAKEN when another parent holds it, BOOKING_LIMIT when the parent already
    holds ``limit`` upcoming times. The caller holds the series lock, so neither the holder nor
    ``held`` can change underneath.
    """
    if enrolment_status != EnrolmentStatus.ENROLLED.value:
        raise TupaError(ErrorCode.FORBIDDEN)
    if time_status == SessionStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SESSION_CANCELLED)
    if starts_at <= now:
        raise TupaError(ErrorCode.SESSION_IN_PAST)
    if taken_by_another:
        raise TupaError(ErrorCode.TIME_TAKEN)
    if held >= limit:
        raise TupaError(ErrorCode.BOOKING_LIMIT)


def check_releasable(time_status: str, starts_at: datetime, now: datetime) -> None:
    """A booking can be cancelled or moved away from until its time begins."""
    if time_status == SessionStatus.CANCELLED.value:
        raise TupaError(ErrorCode.SESSION_CANCELLED)
    if starts_at <= now:
        raise TupaError(ErrorCode.SESSION_IN_PAST)
