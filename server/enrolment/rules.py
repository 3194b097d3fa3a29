"""Who gets a seat and who waits (pure)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from server.errors import ErrorCode, TupaError

PSEUDONYM_MIN = 2
PSEUDONYM_MAX = 40
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")


# A series' status and how full it is belong here rather than in scheduling, which builds on
# enrolment (cancelling a series ends its enrolments): both are about whether parents may enrol.
class SeriesStatus(StrEnum):
    OPEN = "open"  # enrolment runs; the series has not been confirmed yet
    CONFIRMED = "confirmed"  # the coordinator decided it runs
    CANCELLED = "cancelled"


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"  # the parent cancelled
    REMOVED = "removed"  # a coordinator removed the enrolment
    CANCELLED = "cancelled"  # the whole series was cancelled
    BANNED = "banned"  # a moderator or coordinator banned the parent from the series
    # A new enrolment whose e-mail address is a banned enrolment's waits for a coordinator's
    # decision and holds no seat; the parent is told only that it is being processed.
    PENDING_REVIEW = "pending_review"
    REFUSED = "refused"  # a coordinator refused an enrolment that waited for a decision
    # A visitor who dropped in to a stage series' live session without enrolling: no seat, no
    # e-mail, only the audience of that series' running sessions (server/scheduling/drop_in.py).
    DROP_IN = "drop_in"


# Still in the series: holding a seat, a waiting-list place, or waiting for a decision.
ACTIVE_STATUSES = (
    EnrolmentStatus.ENROLLED,
    EnrolmentStatus.WAITLISTED,
    EnrolmentStatus.PENDING_REVIEW,
)


@dataclass(frozen=True)
class Occupancy:
    """How full a series is, as a parent and a coordinator see it."""

    capacity: int
    min_size: int
    enrolled: int
    waitlisted: int

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.enrolled)

    @property
    def below_minimum(self) -> bool:
        return self.enrolled < self.min_size


@dataclass(frozen=True)
class Seat:
    pass


@dataclass(frozen=True)
class WaitlistPlace:
    position: int


Decision = Seat | WaitlistPlace


def enrolment_is_open(status: SeriesStatus, deadline: datetime, now: datetime) -> bool:
    """Parents may enrol until the deadline unless the series was cancelled."""
    return status is not SeriesStatus.CANCELLED and now < deadline


def decide(
    status: SeriesStatus, deadline: datetime, occupancy: Occupancy, now: datetime
) -> Decision:
    """A seat while there is one, otherwise the next place on the waiting list.

    Raises SERIES_CANCELLED for a cancelled series and ENROLMENT_CLOSED after the deadline.
    The caller must hold the series lock so ``occupancy`` cannot change underneath.
    """
    if status is SeriesStatus.CANCELLED:
        raise TupaError(ErrorCode.SERIES_CANCELLED)
    if not enrolment_is_open(status, deadline, now):
        raise TupaError(ErrorCode.ENROLMENT_CLOSED)
    if occupancy.seats_left > 0:
        return Seat()
    return WaitlistPlace(position=occupancy.waitlisted + 1)


def clean_pseudonym(raw: str) -> str:
    """A pseudonym with whitespace collapsed; INVALID_INPUT if too short, long or unprintable."""
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not PSEUDONYM_MIN <= len(text) <= PSEUDONYM_MAX:
        raise TupaError(ErrorCode.INVALID_INPUT, field="pseudonym")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise TupaError(ErrorCode.INVALID_INPUT, field="pseudonym")
    return text


def pseudonym_key(pseudonym: str) -> str:
    """The form two pseudonyms are compared in: one series must not show two "Mira"s."""
    return pseudonym.casefold()


def email_key(email: str) -> str:
    """The form two e-mail addresses are compared in: trimmed, case-insensitive."""
    return email.strip().casefold()


def clean_email(raw: str | None) -> str | None:
    """An optional e-mail address, stripped; INVALID_INPUT when present but malformed."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if len(text) > 254 or not _EMAIL.match(text):
        raise TupaError(ErrorCode.INVALID_INPUT, field="email")
    return text
