"""Who may enter a room: enrolled parents with a held device (an individual time's: only the
parent who booked it), assigned staff and coordinators.

Each refusal carries the WebSocket close code of docs/protocol.md.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.devices import enrolment_by_device
from server.enrolment.rules import SeriesStatus
from server.errors import ErrorCode, TupaError
from server.people.service import shown_name, staff_by_id
from server.permissions import may_enter_room, parent_may_enter_room
from server.rooms.frames import CloseCode
from server.rooms.state import ParticipantRole
from server.rooms.store import Entrant, is_banned
from server.scheduling.drop_in import drop_in_live
from server.scheduling.individual_rules import may_enter
from server.scheduling.series import SessionStatus
from server.storage.tables import SessionRow


class AccessRefused(Exception):
    def __init__(self, close_code: int) -> None:
        super().__init__(str(close_code))
        self.close_code = close_code


async def room_session(db: AsyncSession, session_id: int) -> SessionRow:
    """The session behind a room. Refuses NOT_FOUND for an unknown or cancelled session and
    ENDED for a cancelled series."""
    session = await db.get(SessionRow, session_id)
    if session is None or session.status == SessionStatus.CANCELLED.value:
        raise AccessRefused(CloseCode.NOT_FOUND)
    if session.series.status == SeriesStatus.CANCELLED.value:
        raise AccessRefused(CloseCode.ENDED)
    return session


async def parent_entrant(
    db: AsyncSession, device: str, session: SessionRow, now: datetime
) -> Entrant:
    """A parent arriving with the device cookie their link was swapped for. Refuses
    UNAUTHENTICATED for an unknown, let-go or revoked one, FORBIDDEN when not enrolled in this
    series (or a drop-in visitor where the series allows none) or banned from it."""
    try:
        enrolment = await enrolment_by_device(db, device, now)
    except TupaError as error:
        assert error.code in (ErrorCode.LINK_NEEDED, ErrorCode.LINK_REVOKED)
        raise AccessRefused(CloseCode.UNAUTHENTICATED) from error
    if enrolment.series_id != session.series_id:
        raise AccessRefused(CloseCode.FORBIDDEN)
    if not parent_may_enter_room(enrolment.status, drop_in_live(session.series, session)):
        raise AccessRefused(CloseCode.FORBIDDEN)
    if await is_banned(db, session.series_id, enrolment.id):
        raise AccessRefused(CloseCode.FORBIDDEN)
    if not may_enter(session.kind, session.booked_enrolment_id, enrolment.id):
        raise AccessRefused(CloseCode.FORBIDDEN)  # an individual time booked by someone else
    return Entrant(
        ParticipantRole.PARENT, enrolment.pseudonym, session.series_id, enrolment_id=enrolment.id
    )


async def staff_entrant(
    db: AsyncSession, staff_id: int, session: SessionRow, staff_session_id: int | None = None
) -> Entrant:
    """A signed-in staff member: coordinators anywhere, others where they are assigned.
    ``staff_session_id`` is the session that signed them in: ending it closes this socket."""
    staff = await staff_by_id(db, staff_id)
    if staff is None:
        raise AccessRefused(CloseCode.UNAUTHENTICATED)
    assigned = any(s.staff_id == staff.id for s in session.series.staff)
    if not may_enter_room(staff.role, assigned):
        raise AccessRefused(CloseCode.FORBIDDEN)
    return Entrant(
        ParticipantRole(staff.role),
        shown_name(staff),
        session.series_id,
        staff_id=staff.id,
        staff_session_id=staff_session_id,
    )
