"""A coordinator invites a parent who completed a series to continue as a peer volunteer, or
takes the invitation back; the series page's section on it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from server.evaluation.attendance_sheet import EvaluationRules
from server.storage.tables import EnrolmentRow, SeriesRow
from server.volunteering import invitations
from server.web.deps import Coordinator, Csrf, Db, Id, Now, Org, Rules

router = APIRouter()


async def series_section(
    request: Request, db: Db, series: SeriesRow, enrolments: list[EnrolmentRow], now: datetime
) -> invitations.SeriesInvitations:
    """What the series page shows of invitations (its readers are coordinators)."""
    settings = request.app.state.settings
    rules = EvaluationRules(settings.attendance_share, settings.completion_share)
    return await invitations.in_series(db, series, enrolments, rules, now)


@router.post(
    "/staff/series/{series_id}/enrolments/{enrolment_id}/peer-invitation", dependencies=[Csrf]
)
async def invite(
    series_id: Id, enrolment_id: Id, me: Coordinator, db: Db, now: Now, org: Org, rules: Rules
) -> Response:
    await invitations.invite(db, org, series_id, enrolment_id, me.id, rules, now)
    return RedirectResponse(f"/staff/series/{series_id}?done=peer_invited#peer-volunteers", 303)


@router.post(
    "/staff/series/{series_id}/enrolments/{enrolment_id}/peer-invitation/withdraw",
    dependencies=[Csrf],
)
async def withdraw(series_id: Id, enrolment_id: Id, _: Coordinator, db: Db, now: Now) -> Response:
    await invitations.withdraw(db, series_id, enrolment_id, now)
    return RedirectResponse(f"/staff/series/{series_id}?done=peer_withdrawn#peer-volunteers", 303)
