"""The staff home page: one's own sessions, and for coordinators every series and what waits."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from server.accessibility import feedback as accessibility_feedback
from server.permissions import reads_accessibility_feedback, sees_every_series
from server.scheduling import service as scheduling
from server.web.deps import Db, Now, StaffMember
from server.web.templating import render

router = APIRouter()


@router.get("/staff")
async def dashboard(request: Request, staff: StaffMember, db: Db, now: Now) -> Response:
    context: dict[str, Any] = {
        "my_sessions": await scheduling.sessions_of_staff(db, staff.id),
        "now": now,
    }
    if sees_every_series(staff.role):
        context["all_series"] = await scheduling.all_series(db, now)
    if reads_accessibility_feedback(staff.role):
        context["accessibility_unhandled"] = await accessibility_feedback.unhandled_count(db)
    return render(request, "staff/dashboard.html", context)
