"""A parent's answer to an invitation to continue as a peer volunteer: the page that explains
it, accepting (an alias, a login and a password make a volunteer account) and refusing."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.errors import ErrorCode, TupaError
from server.people.password_policy import MAX_LENGTH
from server.volunteering import invitations
from server.web.deps import Csrf, Db, Now, Parent
from server.web.forms import FormReader, invalid_fields
from server.web.routes.parent import private_page
from server.web.templating import render

router = APIRouter()

# Refusals the form shows next to a field; anything else is an error page.
_FORM_REFUSALS = (
    ErrorCode.INVALID_INPUT,
    ErrorCode.PASSWORDS_DIFFER,
    ErrorCode.PASSWORD_TOO_COMMON,
    ErrorCode.EMAIL_TAKEN,
    ErrorCode.LOGIN_NAME_TAKEN,
)


def _field_of(error: TupaError) -> str:
    if error.code in (ErrorCode.PASSWORDS_DIFFER, ErrorCode.PASSWORD_TOO_COMMON):
        return "password"
    if error.code in (ErrorCode.EMAIL_TAKEN, ErrorCode.LOGIN_NAME_TAKEN):
        return "login"
    return (invalid_fields(error) or ["login"])[0]


@router.get("/me/volunteer")
async def invitation_page(request: Request, enrolment: Parent, db: Db, now: Now) -> Response:
    if await invitations.standing_for(db, enrolment, now) is None:
        return RedirectResponse("/me", status_code=303)
    return private_page(render(request, "parent/volunteer.html", {"values": {}}))


@router.post("/me/volunteer/accept", dependencies=[Csrf])
async def accept(request: Request, enrolment: Parent, db: Db, now: Now) -> Response:
    form = FormReader(await request.form())
    values = {k: form.raw(k)[:300] for k in ("real_name", "alias", "login")}
    acceptance = invitations.Acceptance(
        real_name=values["real_name"],
        alias=values["alias"],
        login=values["login"],
        password=form.raw("password")[:MAX_LENGTH],
        repeated=form.raw("repeat_password")[:MAX_LENGTH],
    )
    try:
        await invitations.accept(db, enrolment, acceptance, now)
    except TupaError as error:
        if error.code not in _FORM_REFUSALS:
            raise
        context = {"values": values, "error_code": error.code, "error_field": _field_of(error)}
        status = 409 if error.code in (ErrorCode.EMAIL_TAKEN, ErrorCode.LOGIN_NAME_TAKEN) else 422
        return private_page(render(request, "parent/volunteer.html", context, status_code=status))
    return RedirectResponse("/me?volunteer=accepted", status_code=303)


@router.post("/me/volunteer/refuse", dependencies=[Csrf])
async def refuse(request: Request, enrolment: Parent, db: Db, now: Now) -> Response:
    await invitations.refuse(db, enrolment, now)
    return RedirectResponse("/me?volunteer=refused", status_code=303)
