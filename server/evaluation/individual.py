"""Individual times as they ran: how many were held and how many their parent attended.

Counted apart from the group sessions (``attendance_sheet`` takes group sessions only): an
individual time is one parent's, so it belongs neither in a group's attendance per session nor
in its commitment percentage. The same attendance rules decide whether the parent attended,
and the same staff corrections (``newest_corrections``) win over what the room recorded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.evaluation.attendance import (
    AttendanceMark,
    Presence,
    SessionRun,
    attendance_window,
    attended,
    time_present,
)
from server.evaluation.attendance_sheet import EvaluationRules, newest_corrections
from server.storage.tables import EnrolmentRow, PresenceRow, RoomMemberRow, RoomRow, SessionRow

INDIVIDUAL = "individual"  # server.scheduling.individual_rules.SessionKind, a layer beside


@dataclass(frozen=True)
class IndividualFigures:
    """Exact counts; ``report_series`` discloses them."""

    held: int = 0  # booked times whose room a facilitator opened
    attended: int = 0  # of those, the ones their parent attended
    parents: int = 0  # parents who attended at least one


@dataclass(frozen=True)
class IndividualAttendance:
    """One held individual time and whether its parent attended: computed, perhaps corrected."""

    session: SessionRow
    enrolment_id: int
    pseudonym: str
    present: timedelta
    mark: AttendanceMark
    corrected_by: str | None = None  # reason of the newest correction


async def individual_figures(
    db: AsyncSession, series_id: int, rules: EvaluationRules
) -> IndividualFigures:
    """The individual times of one series, counted with the organisation's attendance share."""
    held = await individual_attendance(db, series_id, rules)
    came = [a.enrolment_id for a in held if a.mark.counts]
    return IndividualFigures(len(held), len(came), len(set(came)))


async def individual_attendance(
    db: AsyncSession, series_id: int, rules: EvaluationRules
) -> list[IndividualAttendance]:
    """Every held individual time of the series, oldest first, with its parent's attendance:
    what the attendance page shows staff to correct, and what the report counts."""
    rows = await db.execute(
        select(SessionRow, RoomRow, EnrolmentRow.pseudonym)
        .join(RoomRow, RoomRow.session_id == SessionRow.id)
        .join(EnrolmentRow, EnrolmentRow.id == SessionRow.booked_enrolment_id)
        .where(
            SessionRow.series_id == series_id,
            SessionRow.kind == INDIVIDUAL,
            SessionRow.status != "cancelled",
            RoomRow.opened_at.is_not(None),
        )
        .order_by(SessionRow.starts_at, SessionRow.id)
    )
    runs = [
        (
            session,
            pseudonym,
            SessionRun(
                session.starts_at,
                session.starts_at + timedelta(minutes=session.duration_minutes),
                room.opened_at,
                room.ended_at,
            ),
        )
        for session, room, pseudonym in rows
    ]
    if not runs:
        return []
    intervals: dict[int, list[Presence]] = defaultdict(list)
    presence = await db.execute(
        select(RoomMemberRow.session_id, PresenceRow.joined_at, PresenceRow.left_at)
        .join(RoomMemberRow, RoomMemberRow.id == PresenceRow.member_id)
        .join(SessionRow, SessionRow.id == RoomMemberRow.session_id)
        .where(
            RoomMemberRow.session_id.in_([session.id for session, _, _ in runs]),
            RoomMemberRow.enrolment_id == SessionRow.booked_enrolment_id,
        )
    )
    for session_id, joined_at, left_at in presence:
        if left_at is None or left_at >= joined_at:
            intervals[session_id].append(Presence(joined_at, left_at))
    corrections = await newest_corrections(db, series_id)
    held: list[IndividualAttendance] = []
    for session, pseudonym, run in runs:
        window = attendance_window(run)
        enrolment_id = session.booked_enrolment_id
        assert window is not None and enrolment_id is not None  # opened, booked
        present = time_present(intervals[session.id], window.start, window.end)
        correction = corrections.get((enrolment_id, session.id))
        mark = AttendanceMark(
            attended(present, window.length, rules.attendance_share),
            correction.attended if correction else None,
        )
        reason = correction.reason if correction else None
        held.append(IndividualAttendance(session, enrolment_id, pseudonym, present, mark, reason))
    return held
