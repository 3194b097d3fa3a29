"""What a parent's page offers for a session: join now, when joining opens, or why not (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from server.enrolment.rules import EnrolmentStatus
from server.scheduling.series import SessionStatus, room_is_joinable


class Joining(StrEnum):
    OPEN = "open"  # the join button
    LATER = "later"  # "joining opens at 17.30"
    ENDED = "ended"  # the facilitator ended the room, or its time is over
    CANCELLED = "cancelled"
    NOT_PARTICIPATING = "not_participating"  # the enrolment holds no seat (waiting, ended)


@dataclass(frozen=True)
class SessionJoining:
    state: Joining
    opens_at: datetime


def session_joining(
    enrolment_status: str,
    session_status: SessionStatus,
    starts_at: datetime,
    duration_minutes: int,
    room_ended: bool,
    now: datetime,
    opens_before: timedelta,
) -> SessionJoining:
    """Whether the holder of an enrolment in ``enrolment_status`` may join the session now, or
    when they may. Only an enrolment with a seat joins; a cancelled or ended session never."""
    opens_at = starts_at - opens_before
    if session_status is SessionStatus.CANCELLED:
        return SessionJoining(Joining.CANCELLED, opens_at)
    joinable = room_is_joinable(session_status, starts_at, duration_minutes, now, opens_before)
    if room_ended or (now > opens_at and not joinable):
        return SessionJoining(Joining.ENDED, opens_at)
    if enrolment_status != EnrolmentStatus.ENROLLED.value:
        return SessionJoining(Joining.NOT_PARTICIPATING, opens_at)
    if now < opens_at:
        return SessionJoining(Joining.LATER, opens_at)
    return SessionJoining(Joining.OPEN, opens_at)
