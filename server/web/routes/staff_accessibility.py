"""The coordinators' page of accessibility feedback: read it, answer the sender outside Tupa, and
mark it handled."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.accessibility import feedback
from server.web.deps import Coordinator, Csrf, Db, Id, Now
from server.web.templating import render

router = APIRouter()


@router.get(feedback.PAGE)
async def feedback_page(request: Request, me: Coordinator, db: Db) -> Response:
    settings = request.app.state.settings
    return render(
        request,
        "staff/accessibility_feedback.html",
        {
            "items": await feedback.everything(db),
            "keep_days": settings.accessibility_feedback_days,
        },
    )


@router.post(feedback.PAGE + "/{feedback_id}/handled", dependencies=[Csrf])
async def mark_handled(me: Coordinator, feedback_id: Id, db: Db, now: Now) -> Response:
    await feedback.mark_handled(db, feedback_id, me.id, now)
    return RedirectResponse(f"{feedback.PAGE}#feedback-{feedback_id}", status_code=303)
