"""A parent's personal page, reached with the cookie their link was swapped for: sessions, status,
notices, calendar, cancelling, questionnaires."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from server.calendar import ics
from server.enrolment import service as enrolment_service
from server.errors import ErrorCode, TupaError
from server.evaluation import answers
from server.evaluation.questionnaires import MAX_TEXT_ANSWER, Questionnaire
from server.i18n import Translator
from server.localised import localised
from server.notify.notices import NoticeKind, notice_text
from server.scheduling import individual, individual_calendar
from server.scheduling import service as scheduling
from server.scheduling.joining import session_joining
from server.scheduling.series import SessionStatus
from server.volunteering import invitations as peer_invitations
from server.web.deps import Csrf, Db, Id, Now, Org, Parent, T
from server.web.routes.calendar import ics_response
from server.web.templating import render

router = APIRouter()


def private_page(response: Response) -> Response:
    # The page is a parent's own: no cache may keep it, no robot may index it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/me")
async def personal_page(request: Request, enrolment: Parent, db: Db, now: Now, t: T) -> Response:
    if enrolment.drop_in:  # a drop-in visitor has no personal page: the group's page is theirs
        return RedirectResponse(f"/series/{enrolment.series_id}", status_code=303)
    notices = await enrolment_service.notices_for(db, enrolment)
    ended = await scheduling.ended_rooms(db, enrolment.series_id)
    opens_before = timedelta(minutes=request.app.state.settings.room_opens_minutes_before)
    # Notices keep the Finnish title they were made with; the page names the series in its own.
    # Those from before a move out of an intake are about the intake: they keep their title.
    title = {"series": localised(enrolment.series.title_texts, t.language).text}
    placed = max((n.id for n in notices if n.kind == NoticeKind.PLACED.value), default=0)
    times = await individual.times_for_parent(db, enrolment, now)
    joining = {
        session.id: session_joining(
            enrolment.status,
            SessionStatus(session.status),
            session.starts_at,
            session.duration_minutes,
            session.id in ended,
            now,
            opens_before,
        )
        for session in [*enrolment.series.sessions, *times.booked]
    }
    return private_page(
        render(
            request,
            "parent/me.html",
            {
                "enrolment": enrolment,
                "series": enrolment.series,
                "joining": joining,
                "position": await enrolment_service.waitlist_position(db, enrolment),
                "notices": [
                    (
                        n.created_at,
                        notice_text(
                            t, NoticeKind(n.kind), {**n.params, **(title if n.id >= placed else {})}
                        ),
                    )
                    for n in notices
                ],
                "withdrawn": request.query_params.get("withdrawn") == "1",
                "answered": request.query_params.get("answered", ""),
                "feedback_due": await answers.feedback_due(db, enrolment),
                "assessment_due": await answers.self_assessment_due(db, enrolment, now),
                "peer_invitation": await peer_invitations.standing_for(db, enrolment, now),
                "volunteer_answer": request.query_params.get("volunteer", ""),
                "individual": times,
                "individual_done": request.query_params.get("individual", ""),
                "now": now,
            },
        )
    )


@router.post("/me/withdraw", dependencies=[Csrf])
async def withdraw(request: Request, enrolment: Parent, db: Db, now: Now, org: Org) -> Response:
    if (await request.form()).get("confirm") != "on":
        return RedirectResponse("/me", status_code=303)  # nothing is done unconfirmed
    await enrolment_service.withdraw_enrolment(db, org, enrolment, now)
    return RedirectResponse("/me?withdrawn=1", status_code=303)


@router.get("/me/calendar.ics")
async def enrolment_calendar(
    request: Request, enrolment: Parent, db: Db, now: Now, org: Org, t: T
) -> Response:
    """A downloaded file, not a subscription: a calendar app that fetched a feed by URL would hold
    a working credential outside the browser, so parents get no feed address at all. The
    parent's own individual times are in it beside the group's sessions, and the ones they gave
    up as cancelled until these have passed."""
    discreet = request.query_params.get("discreet") == "1"
    own = await individual_calendar.calendar_times(db, enrolment, now)
    return ics_response(
        ics.series_calendar(
            enrolment.series,
            org,
            now,
            t,
            discreet=discreet,
            individual=own.held,
            released=own.released,
        )
    )


def _answers_from(form: FormData, questionnaire: Questionnaire) -> dict[str, object]:
    """The form's answers by question key; blank fields are left out (validation decides)."""
    answers: dict[str, object] = {}
    for question in questionnaire.questions:
        value = form.get(question.key)
        if isinstance(value, str) and value.strip():
            answers[question.key] = value[: MAX_TEXT_ANSWER + 1]
    return answers


def _questionnaire_page(
    request: Request,
    title: str,
    action: str,
    questionnaire: Questionnaire,
    values: dict[str, object] | None = None,
    problem: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return private_page(
        render(
            request,
            "parent/questionnaire.html",
            {
                "heading": title,
                "action": action,
                "questionnaire": questionnaire,
                "values": values or {},
                "problem": problem,
                "max_text": MAX_TEXT_ANSWER,
            },
            status_code=status_code,
        )
    )


def _problem(error: TupaError) -> tuple[str, str] | None:
    if error.code is not ErrorCode.INVALID_INPUT or "problem" not in error.params:
        return None
    return str(error.params.get("field", "")), str(error.params["problem"])


@router.get("/me/feedback/{session_id}")
async def feedback_page(
    request: Request, enrolment: Parent, session_id: Id, db: Db, t: T
) -> Response:
    session, questionnaire = await answers.feedback_form(db, enrolment, session_id)
    title = t.gettext("Feedback on the session of %(date)s", date=t.date(session.starts_at))
    action = f"/me/feedback/{session_id}"
    return _questionnaire_page(request, title, action, questionnaire)


@router.post("/me/feedback/{session_id}", dependencies=[Csrf])
async def give_feedback(
    request: Request, enrolment: Parent, session_id: Id, db: Db, now: Now, t: T
) -> Response:
    session, questionnaire = await answers.feedback_form(db, enrolment, session_id)
    given = _answers_from(await request.form(), questionnaire)
    try:
        await answers.give_feedback(db, enrolment, session_id, given, now)
    except TupaError as error:
        problem = _problem(error)
        if problem is None:
            raise
        title = t.gettext("Feedback on the session of %(date)s", date=t.date(session.starts_at))
        action = f"/me/feedback/{session_id}"
        return _questionnaire_page(request, title, action, questionnaire, given, problem, 422)
    if enrolment.drop_in:
        return RedirectResponse(f"/series/{enrolment.series_id}?answered=feedback", 303)
    return RedirectResponse("/me?answered=feedback", status_code=303)


def _assessment_title(t: Translator, moment: str) -> str:
    if moment == answers.Moment.START:
        return t.gettext("Self-assessment at the start of the group")
    return t.gettext("Self-assessment at the end of the group")


@router.get("/me/self-assessment/{moment}")
async def self_assessment_page(
    request: Request, enrolment: Parent, moment: str, db: Db, now: Now, t: T
) -> Response:
    questionnaire = await answers.self_assessment_form(db, enrolment, moment, now)
    action = f"/me/self-assessment/{moment}"
    return _questionnaire_page(request, _assessment_title(t, moment), action, questionnaire)


@router.post("/me/self-assessment/{moment}", dependencies=[Csrf])
async def give_self_assessment(
    request: Request, enrolment: Parent, moment: str, db: Db, now: Now, t: T
) -> Response:
    questionnaire = await answers.self_assessment_form(db, enrolment, moment, now)
    given = _answers_from(await request.form(), questionnaire)
    try:
        await answers.give_self_assessment(db, enrolment, moment, given, now)
    except TupaError as error:
        problem = _problem(error)
        if problem is None:
            raise
        action = f"/me/self-assessment/{moment}"
        return _questionnaire_page(
            request,
            _assessment_title(t, moment),
            action,
            questionnaire,
            given,
            problem,
            422,
        )
    return RedirectResponse("/me?answered=self_assessment", status_code=303)
