"""A parent booking, moving and cancelling individual times from their personal page."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.scheduling import individual
from server.web.deps import Csrf, Db, Id, Now, Org, Parent
from server.web.forms import FormReader

router = APIRouter()


def _staff_language(request: Request) -> str:
    """Facilitators are mailed in the installation's language, not the parent's."""
    return str(request.app.state.settings.default_language)


def _back(done: str) -> Response:
    return RedirectResponse(f"/me?individual={done}#individual-heading", status_code=303)


@router.post("/me/individual/{session_id}/book", dependencies=[Csrf])
async def book(
    request: Request, session_id: Id, enrolment: Parent, db: Db, now: Now, org: Org
) -> Response:
    await individual.book(db, org, enrolment, session_id, now, _staff_language(request))
    return _back("booked")


@router.post("/me/individual/{session_id}/move", dependencies=[Csrf])
async def move(
    request: Request, session_id: Id, enrolment: Parent, db: Db, now: Now, org: Org
) -> Response:
    form = FormReader(await request.form())
    to = form.integer("to", 1, 2_147_483_647)
    form.check()
    await individual.move(db, org, enrolment, session_id, to, now, _staff_language(request))
    return _back("moved")


@router.post("/me/individual/{session_id}/cancel", dependencies=[Csrf])
async def cancel(
    request: Request, session_id: Id, enrolment: Parent, db: Db, now: Now, org: Org
) -> Response:
    await individual.cancel(db, org, enrolment, session_id, now, _staff_language(request))
    return _back("cancelled")
