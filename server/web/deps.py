"""Dependencies the routes share: the unit of work, the clock, the signed-in staff member."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment import devices
from server.errors import ErrorCode, TupaError
from server.evaluation.attendance_sheet import EvaluationRules
from server.i18n import Translator
from server.organisation import Organisation
from server.people import staff_sessions
from server.permissions import is_coordinator, may_export_reports
from server.storage.tables import EnrolmentRow, StaffRow, StaffSessionRow
from server.web.csrf import verify_csrf
from server.web.staff_cookie import COOKIE, session_limits


async def _unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.database.unit_of_work() as session:
        yield session


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _org(request: Request) -> Organisation:
    org: Organisation = request.app.state.organisation
    return org


def _translator(request: Request) -> Translator:
    t: Translator = request.state.translator
    return t


# The transaction commits before the response leaves, so a redirect never outruns its write.
Db = Annotated[AsyncSession, Depends(_unit_of_work, scope="function")]
Now = Annotated[datetime, Depends(_now)]
Org = Annotated[Organisation, Depends(_org)]
T = Annotated[Translator, Depends(_translator)]
Csrf = Depends(verify_csrf)


@dataclass(frozen=True)
class SignedIn:
    """What pages show of the signed-in staff member; a plain value that outlives the session."""

    id: int
    role: str
    name: str


async def _signed_in(request: Request, db: Db, now: Now) -> tuple[StaffSessionRow, StaffRow] | None:
    """The staff session of this request's cookie, looked up once per request."""
    limits = session_limits(request.app.state.settings)
    found = await staff_sessions.signed_in(db, request.cookies.get(COOKIE), now, limits)
    if found is not None:
        staff = found[1]
        request.state.staff = SignedIn(staff.id, staff.role, staff.alias or staff.real_name)
    return found


SignedInNow = Annotated[tuple[StaffSessionRow, StaffRow] | None, Depends(_signed_in)]


async def _optional_staff(found: SignedInNow) -> StaffRow | None:
    return None if found is None else found[1]


async def _this_session(found: SignedInNow) -> StaffSessionRow:
    if found is None:
        raise TupaError(ErrorCode.LOGIN_REQUIRED)
    return found[0]


MaybeStaff = Annotated[StaffRow | None, Depends(_optional_staff)]
ThisSession = Annotated[StaffSessionRow, Depends(_this_session)]


async def _any_staff(staff: MaybeStaff) -> StaffRow:
    if staff is None:
        raise TupaError(ErrorCode.LOGIN_REQUIRED)
    return staff


async def _coordinator(staff: Annotated[StaffRow, Depends(_any_staff)]) -> StaffRow:
    if not is_coordinator(staff.role):
        raise TupaError(ErrorCode.FORBIDDEN)
    return staff


async def _report_exporter(staff: Annotated[StaffRow, Depends(_any_staff)]) -> StaffRow:
    if not may_export_reports(staff.role):
        raise TupaError(ErrorCode.FORBIDDEN)
    return staff


async def _parent(request: Request, db: Db, now: Now) -> EnrolmentRow:
    """The enrolment whose device this browser holds: the cookie its personal link was swapped
    for, never the link itself. Raises LINK_NEEDED or LINK_REVOKED."""
    idle = timedelta(hours=request.app.state.settings.parent_device_idle_hours)
    device = request.cookies.get(devices.COOKIE)
    return await devices.enrolment_by_device(db, device, now, idle)


Parent = Annotated[EnrolmentRow, Depends(_parent)]


def _evaluation_rules(request: Request) -> EvaluationRules:
    settings = request.app.state.settings
    return EvaluationRules(settings.attendance_share, settings.completion_share)


Rules = Annotated[EvaluationRules, Depends(_evaluation_rules)]

StaffMember = Annotated[StaffRow, Depends(_any_staff)]
Coordinator = Annotated[StaffRow, Depends(_coordinator)]
ReportExporter = Annotated[StaffRow, Depends(_report_exporter)]

# Path ids are bounded so an absurd number is a 404/422, not a database overflow.
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
