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
from server.storage.tables import PresenceRow, RoomMemberRow, RoomRow, SessionRow

INDIVIDUAL = "individual"  # server.scheduling.individual_rules.SessionKind, a layer beside


@dataclass(frozen=True)
class IndividualFigures:
    """Exact counts; ``report_series`` discloses them."""

    held: int = 0  # booked times whose room a facilitator opened
    attended: int = 0  # of those, the ones their parent attended
    parents: int = 0  # parents who attended at least one


async def individual_figures(
    db: AsyncSession, series_id: int, rules: EvaluationRules
) -> IndividualFigures:
    """The individual times of one series, counted with the organisation's attendance share."""
    rows = await db.execute(
        select(SessionRow, RoomRow)
        .join(RoomRow, RoomRow.session_id == SessionRow.id)
        .where(
            SessionRow.series_id == series_id,
            SessionRow.kind == INDIVIDUAL,
            SessionRow.status != "cancelled",
            SessionRow.booked_enrolment_id.is_not(None),
            RoomRow.opened_at.is_not(None),
        )
    )
    runs = {
        session.id: (
            session.booked_enrolment_id,
            SessionRun(
                session.starts_at,
                session.starts_at + timedelta(minutes=session.duration_minutes),
                room.opened_at,
                room.ended_at,
            ),
        )
        for session, room in rows
    }
    if not runs:
        return IndividualFigures()
    intervals: dict[int, list[Presence]] = defaultdict(list)
    presence = await db.execute(
        select(RoomMemberRow.session_id, PresenceRow.joined_at, PresenceRow.left_at)
        .join(RoomMemberRow, RoomMemberRow.id == PresenceRow.member_id)
        .join(SessionRow, SessionRow.id == RoomMemberRow.session_id)
        .where(
            RoomMemberRow.session_id.in_(runs),
            RoomMemberRow.enrolment_id == SessionRow.booked_enrolment_id,
        )
    )
    for session_id, joined_at, left_at in presence:
        if left_at is None or left_at >= joined_at:
            intervals[session_id].append(Presence(joined_at, left_at))
    corrections = await newest_corrections(db, series_id)
    came: list[int] = []
    for session_id, (enrolment_id, run) in runs.items():
        window = attendance_window(run)
        assert window is not None and enrolment_id is not None  # opened, booked
        present = time_present(intervals[session_id], window.start, window.end)
        correction = corrections.get((enrolment_id, session_id))
        mark = AttendanceMark(
            attended(present, window.length, rules.attendance_share),
            correction.attended if correction else None,
        )
        if mark.counts:
            came.append(enrolment_id)
    return IndividualFigures(len(runs), len(came), len(set(came)))
