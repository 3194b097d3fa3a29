"""The room page for parents (with their device cookie) and for staff (after login)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from server.errors import ErrorCode, TupaError
from server.evaluation.answers import program_questionnaire
from server.evaluation.questionnaires import QuestionnaireKind
from server.permissions import may_enter_room, parent_may_enter_room
from server.scheduling import service as scheduling
from server.scheduling.drop_in import drop_in_live
from server.scheduling.individual_rules import SessionKind, may_enter
from server.storage.tables import SessionRow
from server.web.deps import Db, Id, Parent, StaffMember
from server.web.routes.parent import private_page
from server.web.templating import render

router = APIRouter()


def _room_page(
    request: Request,
    session: SessionRow,
    ws_path: str,
    back_url: str,
    is_staff: bool,
    feedback_url: str | None = None,
) -> Response:
    return private_page(
        render(
            request,
            "room.html",
            {
                "session": session,
                "series": session.series,
                "ws_path": ws_path,
                "back_url": back_url,
                "feedback_url": feedback_url,
                "is_staff": is_staff,
            },
        )
    )


@router.get("/me/sessions/{session_id}/room")
async def parent_room(request: Request, enrolment: Parent, session_id: Id, db: Db) -> Response:
    session = await scheduling.get_session(db, enrolment.series_id, session_id)
    if not parent_may_enter_room(enrolment.status, drop_in_live(session.series, session)):
        raise TupaError(ErrorCode.FORBIDDEN)
    if not may_enter(session.kind, session.booked_enrolment_id, enrolment.id):
        raise TupaError(ErrorCode.FORBIDDEN)  # an individual time someone else booked
    # Feedback is anonymous among a group; an individual time's would name its one parent.
    has_feedback = session.kind == SessionKind.GROUP and await program_questionnaire(
        db, session.series.program_id, QuestionnaireKind.FEEDBACK
    )
    # The parent's socket lives under /me, where their device cookie is sent.
    return _room_page(
        request,
        session,
        f"/me/rooms/{session.id}/socket",
        f"/series/{session.series_id}" if enrolment.drop_in else "/me",
        is_staff=False,
        feedback_url=f"/me/feedback/{session.id}" if has_feedback else None,
    )


@router.get("/staff/sessions/{session_id}/room")
async def staff_room(request: Request, session_id: Id, staff: StaffMember, db: Db) -> Response:
    session = await scheduling.session_by_id(db, session_id)
    assigned = any(s.staff_id == staff.id for s in session.series.staff)
    if not may_enter_room(staff.role, assigned):
        raise TupaError(ErrorCode.FORBIDDEN)
    return _room_page(request, session, f"/ws/rooms/{session.id}", "/staff", is_staff=True)
