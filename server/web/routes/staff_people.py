"""The coordinator's page of staff accounts: who exists, adding one, deactivating and
reactivating one, a password reset link for one, and each one's security log."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.errors import ErrorCode, TupaError
from server.notify import staff_mail
from server.people import deactivation, password_resets, security_log
from server.people import service as people
from server.people.roles import Role
from server.volunteering.invitations import former_participants
from server.web import staff_cookie
from server.web.deps import Coordinator, Csrf, Db, Id, Now, Org, T
from server.web.forms import FormReader, invalid_fields
from server.web.templating import render

router = APIRouter()


async def _page(
    request: Request, db: Db, me_id: int, status_code: int = 200, **shown: object
) -> Response:
    """The staff accounts page; ``shown`` adds a done notice, form values or errors."""
    context = {
        "people": await people.list_staff(db),
        "roles": list(Role),
        "values": {},
        "errors": [],
        "done": "",
        "me": me_id,
        # Which volunteers were parents, and where: shown to coordinators only (this page's
        # readers), never in rooms or to the volunteer.
        "former": await former_participants(db),
    }
    return render(request, "staff/people.html", {**context, **shown}, status_code=status_code)


@router.get("/staff/people")
async def people_page(request: Request, me: Coordinator, db: Db) -> Response:
    return await _page(request, db, me.id, done=request.query_params.get("done", ""))


@router.post("/staff/people", dependencies=[Csrf])
async def add_person(request: Request, me: Coordinator, db: Db, now: Now) -> Response:
    form = FormReader(await request.form())
    values = {k: form.raw(k)[:300] for k in ("email", "login_name", "real_name", "alias", "role")}
    try:
        role = form.choice("role", Role)
        form.check()
        await people.create_staff(
            db,
            people.NewStaff(
                # Either may be left empty: a person without an e-mail address logs in by name.
                email=values["email"].strip() or None,
                real_name=values["real_name"],
                role=role,
                password=form.raw("password")[:300],
                alias=values["alias"],
                login_name=values["login_name"].strip() or None,
            ),
            now,
        )
    except TupaError as error:
        if error.code not in (
            ErrorCode.INVALID_INPUT,
            ErrorCode.EMAIL_TAKEN,
            ErrorCode.LOGIN_NAME_TAKEN,
            ErrorCode.PASSWORD_TOO_COMMON,
        ):
            raise
        taken = {ErrorCode.EMAIL_TAKEN: "email", ErrorCode.LOGIN_NAME_TAKEN: "login"}
        return await _page(
            request,
            db,
            me.id,
            409 if error.code in taken else 422,
            values=values,
            errors=invalid_fields(error) or [taken.get(error.code, "password")],
            error_code=error.code,
        )
    return RedirectResponse("/staff/people?done=added", status_code=303)


@router.post("/staff/people/{staff_id}/deactivate", dependencies=[Csrf])
async def deactivate_person(
    request: Request, staff_id: Id, me: Coordinator, db: Db, now: Now
) -> Response:
    try:
        await deactivation.deactivate(db, staff_id, now, by=me.id)
    except TupaError as error:
        if error.code is not ErrorCode.LAST_COORDINATOR:
            raise
        return await _page(request, db, me.id, 409, action_error=error.code)
    if staff_id == me.id:  # their own account: its sessions ended with it
        response = RedirectResponse("/staff/login", status_code=303)
        staff_cookie.take_back(response, request.app.state.settings)
        return response
    return RedirectResponse("/staff/people?done=deactivated", status_code=303)


@router.post("/staff/people/{staff_id}/activate", dependencies=[Csrf])
async def activate_person(staff_id: Id, me: Coordinator, db: Db, now: Now) -> Response:
    await deactivation.reactivate(db, staff_id, now, by=me.id)
    return RedirectResponse("/staff/people?done=activated", status_code=303)


@router.post("/staff/people/{staff_id}/reset-link", dependencies=[Csrf])
async def make_reset_link(
    request: Request, staff_id: Id, me: Coordinator, db: Db, now: Now, org: Org, t: T
) -> Response:
    """A one-time reset link, shown in this answer only (the database keeps its hash) and mailed
    to the person when an SMTP server is configured and they have an e-mail address (an account
    with a login name only gets it from the coordinator); a newer link replaces it."""
    staff, token = await password_resets.issue(db, staff_id, me.id, now)
    link = org.url(f"/staff/reset/{token}")
    mailed = request.app.state.settings.smtp_host is not None and staff.email is not None
    if mailed and staff.email is not None:
        await staff_mail.queue_reset_link(
            db, org, staff.id, staff.email, staff.real_name, link, t.language, now
        )
    return await _page(
        request, db, me.id, reset_link=link, reset_for=staff.real_name, reset_mailed=mailed
    )


@router.get("/staff/people/{staff_id}/security-log")
async def security_log_page(request: Request, staff_id: Id, _: Coordinator, db: Db) -> Response:
    person, lines = await security_log.log_of(db, staff_id)
    return render(request, "staff/security_log.html", {"person": person, "lines": lines})
