"""Attendance as the rooms recorded it, with staff corrections: the sheet a coordinator checks.

The rules (how much of a session is attending) are the organisation's settings; the computing is
done by the pure ``attendance.py``; here it is fed from presence records and corrections.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.rules import EnrolmentStatus
from server.errors import ErrorCode, TupaError
from server.evaluation.attendance import (
    AttendanceMark,
    Presence,
    SessionRun,
    attendance_window,
    attended,
    check_share,
    time_present,
)
from server.evaluation.figures import (
    Cohort,
)
from server.storage.tables import (
    AttendanceCorrectionRow,
    EnrolmentRow,
    PresenceRow,
    RoomMemberRow,
    RoomRow,
    SeriesRow,
    SessionRow,
)

MAX_REASON = 300
# Enrolments that ended after the parent may have attended: they stay in the cohort (as
# drop-outs) when they attended. A ban ends an enrolment like a removal does.
_ENDED_AFTER_A_SEAT = (
    EnrolmentStatus.WITHDRAWN.value,
    EnrolmentStatus.REMOVED.value,
    EnrolmentStatus.BANNED.value,
)


@dataclass(frozen=True)
class EvaluationRules:
    """The organisation's definitions: how much of a session is attending, how many sessions
    is completing. From ``TUPA_ATTENDANCE_SHARE`` and ``TUPA_COMPLETION_SHARE``."""

    attendance_share: Decimal = Decimal("0.5")
    completion_share: Decimal = Decimal("0.5")


# --- attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionAttendance:
    """One planned session of a series as it ran."""

    session: SessionRow
    run: SessionRun

    @property
    def held(self) -> bool:
        return self.run.held


@dataclass(frozen=True)
class AttendanceCell:
    """One participant at one held session: time present and the mark (computed, corrected)."""

    present: timedelta
    mark: AttendanceMark
    corrected_by: str | None = None  # reason of the newest correction


@dataclass(frozen=True)
class AttendanceSheet:
    """Who attended which session of a series: what a coordinator checks and corrects."""

    series: SeriesRow
    sessions: list[SessionAttendance]
    participants: list[EnrolmentRow]
    cells: dict[tuple[int, int], AttendanceCell]  # (enrolment id, session id), held sessions only
    # Visitors who dropped in to each held session (server/scheduling/drop_in.py): counted apart,
    # since they hold no seat and would distort the cohort's funnel and commitment.
    drop_in_viewers: dict[int, int] = field(default_factory=dict)

    def cohort(self) -> Cohort:
        held = tuple(s.session.id for s in self.sessions if s.held)
        attendance = frozenset(key for key, cell in self.cells.items() if cell.mark.counts)
        return Cohort(tuple(p.id for p in self.participants), held, attendance)


async def attendance_sheet(
    db: AsyncSession, series_id: int, rules: EvaluationRules
) -> AttendanceSheet:
    """Every participant's attendance at every held session of the series, corrections applied.

    Participants are the parents holding a seat, plus those who left after attending at least
    once (they are the drop-outs a funder asks about); the waiting list is not a participant.
    """
    series = await db.get(SeriesRow, series_id)
    if series is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    check_share(rules.attendance_share, "attendance_share")
    share = rules.attendance_share
    rows = await db.execute(
        select(SessionRow, RoomRow)
        .outerjoin(RoomRow, RoomRow.session_id == SessionRow.id)
        # Group sessions only: individual times are counted apart (evaluation/individual.py).
        .where(SessionRow.series_id == series_id, SessionRow.kind == "group")
        .order_by(SessionRow.starts_at)
    )
    sessions = [
        SessionAttendance(
            session,
            SessionRun(
                session.starts_at,
                session.starts_at + timedelta(minutes=session.duration_minutes),
                room.opened_at if room else None,
                room.ended_at if room and room.opened_at else None,
            ),
        )
        for session, room in rows
    ]
    intervals: dict[tuple[int, int], list[Presence]] = defaultdict(list)
    presence = await db.execute(
        select(
            RoomMemberRow.enrolment_id,
            RoomMemberRow.session_id,
            PresenceRow.joined_at,
            PresenceRow.left_at,
        )
        .join(RoomMemberRow, RoomMemberRow.id == PresenceRow.member_id)
        .join(SessionRow, SessionRow.id == RoomMemberRow.session_id)
        .where(SessionRow.series_id == series_id, RoomMemberRow.enrolment_id.is_not(None))
    )
    for enrolment_id, session_id, joined_at, left_at in presence:
        if enrolment_id is not None and (left_at is None or left_at >= joined_at):
            intervals[(enrolment_id, session_id)].append(Presence(joined_at, left_at))
    corrections = await newest_corrections(db, series_id)
    enrolments = list(
        await db.scalars(
            select(EnrolmentRow)
            .where(EnrolmentRow.series_id == series_id)
            .order_by(EnrolmentRow.pseudonym_key)
        )
    )
    cells: dict[tuple[int, int], AttendanceCell] = {}
    for enrolment in enrolments:
        for planned in sessions:
            window = attendance_window(planned.run)
            if window is None:
                continue
            key = (enrolment.id, planned.session.id)
            present = time_present(intervals.get(key, []), window.start, window.end)
            correction = corrections.get(key)
            mark = AttendanceMark(
                attended(present, window.length, share),
                correction.attended if correction else None,
            )
            cells[key] = AttendanceCell(present, mark, correction.reason if correction else None)
    participants = [
        e
        for e in enrolments
        if not e.drop_in
        and (
            e.status == EnrolmentStatus.ENROLLED.value
            or (
                e.status in _ENDED_AFTER_A_SEAT
                and any(cells[k].mark.counts for k in cells if k[0] == e.id)
            )
        )
    ]
    viewers = {s.session.id: 0 for s in sessions if s.held}
    for e in enrolments:
        if e.drop_in:
            for session_id in viewers:
                viewers[session_id] += _watched(cells.get((e.id, session_id)))
    return AttendanceSheet(series, sessions, participants, cells, viewers)


async def newest_corrections(
    db: AsyncSession, series_id: int
) -> dict[tuple[int, int], AttendanceCorrectionRow]:
    """The correction that counts for each (enrolment id, session id) of the series: the newest.

    Every session's, group and individual alike, so the individual counts
    (``evaluation/individual.py``) apply the same corrections as the sheet does.
    """
    corrections: dict[tuple[int, int], AttendanceCorrectionRow] = {}
    for newer in await db.scalars(
        select(AttendanceCorrectionRow)
        .join(SessionRow, SessionRow.id == AttendanceCorrectionRow.session_id)
        .where(SessionRow.series_id == series_id)
        .order_by(AttendanceCorrectionRow.created_at, AttendanceCorrectionRow.id)
    ):
        corrections[(newer.enrolment_id, newer.session_id)] = newer  # the newest wins
    return corrections


def _watched(cell: AttendanceCell | None) -> bool:
    """Whether a drop-in visitor counts as a viewer of a session: present at all (a public
    broadcast is watched in part), unless staff corrected it either way."""
    if cell is None:
        return False
    if cell.mark.corrected is not None:
        return cell.mark.corrected
    return cell.present > timedelta(0)


async def correct_attendance(
    db: AsyncSession,
    series_id: int,
    session_id: int,
    enrolment_id: int,
    attended_: bool,
    reason: str,
    staff_id: int,
    now: datetime,
) -> None:
    """Record a staff member's correction; the newest counts and all of them stay in the log."""
    reason = " ".join(reason.split())
    if not 1 <= len(reason) <= MAX_REASON:
        raise TupaError(ErrorCode.INVALID_INPUT, field="reason")
    session = await db.get(SessionRow, session_id)
    enrolment = await db.get(EnrolmentRow, enrolment_id)
    if session is None or enrolment is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    if session.series_id != series_id or enrolment.series_id != series_id:
        raise TupaError(ErrorCode.NOT_FOUND)
    room = await db.get(RoomRow, session_id)
    if room is None or room.opened_at is None:
        raise TupaError(ErrorCode.NOT_YET_OPEN)  # a session never held has no attendance
    db.add(
        AttendanceCorrectionRow(
            session_id=session_id,
            enrolment_id=enrolment_id,
            attended=attended_,
            reason=reason,
            staff_id=staff_id,
            created_at=now,
        )
    )


async def attendance_corrections(
    db: AsyncSession, series_id: int
) -> list[tuple[AttendanceCorrectionRow, EnrolmentRow, SessionRow]]:
    """Every correction in the series, newest first: the log of who changed what."""
    rows = await db.execute(
        select(AttendanceCorrectionRow, EnrolmentRow, SessionRow)
        .join(EnrolmentRow, EnrolmentRow.id == AttendanceCorrectionRow.enrolment_id)
        .join(SessionRow, SessionRow.id == AttendanceCorrectionRow.session_id)
        .where(SessionRow.series_id == series_id)
        .order_by(AttendanceCorrectionRow.created_at.desc(), AttendanceCorrectionRow.id.desc())
    )
    return [(c, e, s) for c, e, s in rows]
