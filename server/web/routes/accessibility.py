"""The accessibility statement (/accessibility), linked from every page, and its feedback form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.accessibility import feedback
from server.accessibility.feedback_rules import (
    CONTACT_MAX,
    FEEDBACK_MAX,
    SendingLimit,
    read_feedback,
)
from server.accessibility.sending_limit import SendCounter
from server.accessibility.statement import (
    ANSWER_WITHIN_DAYS,
    Assessment,
    shortcomings,
    supervisor,
)
from server.errors import ErrorCode, TupaError
from server.web.deps import Csrf, Db, Now, Org, T
from server.web.forms import FormReader, invalid_fields
from server.web.templating import render
from server.web.throttling import client_address

router = APIRouter()


def _page(request: Request, t: T, status_code: int = 200, **shown: Any) -> Response:
    """The statement in the reader's language; ``shown`` adds form values, errors or thanks."""
    settings = request.app.state.settings
    context = {
        "assessment": Assessment.of(
            settings.accessibility_assessed_on, settings.accessibility_assessed_by
        ),
        "shortcomings": shortcomings(settings.staff_session_max_hours),
        "staff_idle_minutes": settings.staff_session_idle_minutes,
        "staff_max_hours": settings.staff_session_max_hours,
        "supervisor": supervisor(t.language),
        "public_address": request.app.state.organisation.public_url,
        "answer_days": ANSWER_WITHIN_DAYS,
        "feedback_max": FEEDBACK_MAX,
        "contact_max": CONTACT_MAX,
        "values": {},
        "errors": [],
        "sent": False,
        "error_code": "",
    }
    return render(request, "public/accessibility.html", {**context, **shown}, status_code)


@router.get("/accessibility")
async def statement(request: Request, t: T) -> Response:
    return _page(request, t, sent=request.query_params.get("sent") == "1")


@router.post("/accessibility/feedback", dependencies=[Csrf])
async def send_feedback(request: Request, db: Db, now: Now, org: Org, t: T) -> Response:
    form = FormReader(await request.form())
    # Kept a little past the limits, so that a refused form comes back as it was typed.
    values = {
        "feedback": form.raw("feedback")[: FEEDBACK_MAX + 100],
        "contact": form.raw("contact")[: CONTACT_MAX + 100],
    }
    settings = request.app.state.settings
    counter = SendCounter(SendingLimit(), settings.derived_key("form-sends"))
    try:
        draft = read_feedback(values["feedback"], values["contact"])
        await feedback.send(
            db,
            org,
            counter,
            client_address(request),
            draft,
            t.language,
            settings.default_language,
            now,
        )
    except TupaError as error:
        if error.code not in (ErrorCode.INVALID_INPUT, ErrorCode.TOO_MANY_SENDS):
            raise
        # Answered here, not raised: a refused send stays counted (its unit of work commits).
        status = 429 if error.code is ErrorCode.TOO_MANY_SENDS else 422
        return _page(
            request,
            t,
            status,
            values=values,
            errors=invalid_fields(error),
            error_code=error.code.value,
        )
    return RedirectResponse("/accessibility?sent=1#feedback", status_code=303)
