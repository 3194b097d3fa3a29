"""A coordinator invites a parent who completed a series to continue as a peer volunteer, or
takes the invitation back; the series page's section on it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response

from server.evaluation.attendance_sheet import EvaluationRules
from server.storage.tables import EnrolmentRow, SeriesRow
from server.volunteering import invitations
from server.web.deps import Coordinator, Csrf, Db, Id, Now, Org, Rules
from server.web.series_redirect import back_to_series

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
    return back_to_series(series_id, "peer_invited", anchor="peer-volunteers")


@router.post(
    "/staff/series/{series_id}/enrolments/{enrolment_id}/peer-invitation/withdraw",
    dependencies=[Csrf],
)
async def withdraw(series_id: Id, enrolment_id: Id, _: Coordinator, db: Db, now: Now) -> Response:
    await invitations.withdraw(db, series_id, enrolment_id, now)
    return back_to_series(series_id, "peer_withdrawn", anchor="peer-volunteers")
