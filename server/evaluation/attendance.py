"""Attendance: how long a participant was present in a held session, and whether that counts (pure).

A person's presence is a set of intervals: one per connection. A parent may have several
connections at once (phone and laptop, a second tab) and reconnects after a dropped network, so
intervals overlap and repeat. Time present is the length of their union inside the session's
attendance window; no minute is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from server.errors import ErrorCode, TupaError

DEFAULT_REQUIRED_SHARE = Decimal("0.5")


def _check_aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("evaluation times must be timezone-aware")


@dataclass(frozen=True)
class Presence:
    """One connection of one person to a room: from ``joined_at`` until ``left_at``.

    ``left_at`` is None while the connection is still open.
    """

    joined_at: datetime
    left_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_aware(self.joined_at, self.left_at)
        if self.left_at is not None and self.left_at < self.joined_at:
            raise ValueError("a connection cannot end before it starts")


@dataclass(frozen=True)
class AttendanceWindow:
    """The stretch of time against which presence in one session is measured."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _check_aware(self.start, self.end)
        if self.end < self.start:
            raise ValueError("an attendance window cannot end before it starts")

    @property
    def length(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class SessionRun:
    """A session as scheduled and as a facilitator actually ran it.

    ``opened_at`` is set when a facilitator opened the room; ``ended_at`` when they ended it.
    """

    scheduled_start: datetime
    scheduled_end: datetime
    opened_at: datetime | None = None
    ended_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_aware(self.scheduled_start, self.scheduled_end, self.opened_at, self.ended_at)
        if self.scheduled_end < self.scheduled_start:
            raise ValueError("a session cannot be scheduled to end before it starts")
        if self.ended_at is not None and (self.opened_at is None or self.ended_at < self.opened_at):
            raise ValueError("a session can only end after it was opened")

    @property
    def held(self) -> bool:
        """Held means a facilitator opened it; a planned session nobody opened was not held."""
        return self.opened_at is not None


def attendance_window(run: SessionRun) -> AttendanceWindow | None:
    """The window presence is measured against, or None when the session was not held.

    The rule: the scheduled time, narrowed to when the room actually ran (``opened_at`` until
    ``ended_at``, or until the scheduled end when nobody pressed "end").

    - Opened early (facilitators open the room before the start to check sound and admit people):
      the window still starts at the scheduled start, so a parent who arrives on time is not
      measured against the facilitator's preparation time.
    - Opened late or ended early: the window shrinks, so a parent is not held responsible for time
      when there was no session to attend.
    - Ran over time: the window stops at the scheduled end; a parent who leaves at the announced end
      (a child to put to bed) has attended the whole session.

    When the room ran entirely outside the schedule (or opened and closed in the same instant),
    schedule and run do not overlap; the window is then the actual run, for the scheduled length
    when it was never ended. A zero-length window means nobody attended (see ``attended``).
    """
    if run.opened_at is None:
        return None
    ran_until = run.ended_at or max(run.scheduled_end, run.opened_at)
    start = max(run.scheduled_start, run.opened_at)
    end = min(run.scheduled_end, ran_until)
    if end > start:
        return AttendanceWindow(start, end)
    if run.ended_at is not None:
        return AttendanceWindow(run.opened_at, run.ended_at)
    return AttendanceWindow(
        run.opened_at, run.opened_at + (run.scheduled_end - run.scheduled_start)
    )


def time_present(
    intervals: Iterable[Presence], window_start: datetime, window_end: datetime
) -> timedelta:
    """How long a person was in the room inside the window, counting overlapping connections once.

    An open connection (``left_at`` None) runs to ``window_end``. Parts outside the window do not
    count: time in the room before the start or after the end is not attendance.
    """
    _check_aware(window_start, window_end)
    if window_end < window_start:
        raise ValueError("an attendance window cannot end before it starts")
    clipped = sorted(
        (max(p.joined_at, window_start), min(p.left_at or window_end, window_end))
        for p in intervals
    )
    total = timedelta(0)
    current_start: datetime | None = None
    current_end = window_start
    for start, end in clipped:
        if end <= start:
            continue
        if current_start is None or start > current_end:
            if current_start is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_start is not None:
        total += current_end - current_start
    return total


def check_share(share: Decimal | float, field: str) -> Fraction:
    """The share as an exact fraction; raises INVALID_INPUT (with ``field``) unless 0 < share <= 1.

    A share of zero would count anyone who never came; above one nobody could ever qualify.
    """
    exact = Fraction(str(share))
    if not 0 < exact <= 1:
        raise TupaError(ErrorCode.INVALID_INPUT, field=field)
    return exact


def attended(
    present: timedelta,
    window_length: timedelta,
    required_share: Decimal | float = DEFAULT_REQUIRED_SHARE,
) -> bool:
    """Whether being present for ``present`` out of ``window_length`` counts as attending.

    A participant attended when present for at least ``required_share`` of the window (by default
    half): a parent whose connection failed halfway still took part, one who looked in for five
    minutes did not. A zero-length window (a room opened and ended at once) is attended by nobody,
    since there was no session to take part in; staff can correct a mark by hand.

    Raises INVALID_INPUT (field ``required_share``) unless 0 < required_share <= 1.
    """
    share = check_share(required_share, "required_share")
    if present < timedelta(0) or window_length < timedelta(0):
        raise ValueError("durations cannot be negative")
    if window_length == timedelta(0):
        return False
    one = timedelta(microseconds=1)
    return Fraction(present // one) >= share * (window_length // one)


def attended_session(
    intervals: Iterable[Presence],
    run: SessionRun,
    required_share: Decimal | float = DEFAULT_REQUIRED_SHARE,
) -> bool:
    """Whether a person with these connections attended the session; never for one not held.

    Raises INVALID_INPUT (field ``required_share``) unless 0 < required_share <= 1.
    """
    check_share(required_share, "required_share")
    window = attendance_window(run)
    if window is None:
        return False
    present = time_present(intervals, window.start, window.end)
    return attended(present, window.length, required_share)


@dataclass(frozen=True)
class AttendanceMark:
    """The attendance of one participant at one held session: computed, and perhaps corrected.

    Staff correct a mark when the computation cannot know better: a parent who joined by phone
    call, or one whose browser kept a dead connection open. A correction always wins.
    """

    computed: bool
    corrected: bool | None = None

    @property
    def counts(self) -> bool:
        """Whether the participant attended: the correction if any, else the computed value."""
        return self.computed if self.corrected is None else self.corrected

    @property
    def is_corrected(self) -> bool:
        return self.corrected is not None
