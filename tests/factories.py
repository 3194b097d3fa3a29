"""Builders for test data: staff, series and enrolments with sensible defaults."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.questions import Question
from server.enrolment.service import EnrolmentRequest, NewEnrolment, enrol
from server.organisation import Organisation
from server.people.roles import Role
from server.people.service import NewStaff, create_staff
from server.scheduling.recurrence import Cadence, RecurrenceRule
from server.scheduling.series import LifeSituation, MediaMode
from server.scheduling.service import (
    SeriesPlan,
    ensure_program_templates,
    list_programs,
    plan_series,
)
from server.storage.db import Database
from server.storage.tables import SeriesRow, StaffRow

PASSWORD = "correct horse battery"


async def a_staff_member(
    db: AsyncSession,
    now: datetime,
    role: Role = Role.COORDINATOR,
    email: str | None = None,
    real_name: str = "Kaisa Koordinaattori",
    alias: str | None = None,
) -> StaffRow:
    email = email or f"{role.value}@example.org"
    if role is Role.VOLUNTEER and alias is None:
        alias = "Kokemuskumppani Aino"
    return await create_staff(db, NewStaff(email, real_name, role, PASSWORD, alias), now)


async def a_series(
    db: AsyncSession, org: Organisation, now: datetime, **overrides: Any
) -> SeriesRow:
    """A weekly 4-session chat series starting a week after ``now``, capacity 3, minimum 2."""
    await ensure_program_templates(db)
    program = (await list_programs(db))[0]
    first_on: date = (now + timedelta(days=7)).date()
    fields: dict[str, Any] = {
        "program_id": program.id,
        "title": "Testiryhmä",
        "description": "",
        "life_situation": LifeSituation.SEPARATION,
        "rule": RecurrenceRule(Cadence.WEEKLY, first_on.weekday(), time(18, 0)),
        "first_on": first_on,
        "session_count": 4,
        "duration_minutes": 90,
        "media_mode": MediaMode.CHAT,
        "themes": ["Yksi", "Kaksi"],
        "capacity": 3,
        "min_size": 2,
        "enrolment_deadline": now + timedelta(days=5),
        "questions": [Question("q1", "Lapsen ikä", ["0–2 v", "3–6 v"], False)],
        **overrides,
    }
    return await plan_series(db, org, SeriesPlan(**fields), now)


async def seed_series(
    database: Database, org: Organisation, now: datetime, **overrides: Any
) -> int:
    async with database.unit_of_work() as db:
        return (await a_series(db, org, now, **overrides)).id


async def enrol_parent(
    database: Database,
    org: Organisation,
    series_id: int,
    pseudonym: str,
    now: datetime,
    email: str | None = None,
) -> NewEnrolment:
    async with database.unit_of_work() as db:
        return await enrol(db, org, series_id, EnrolmentRequest(pseudonym, email), now)


async def personal_page(client: Any, token: str) -> Any:
    """Opens a personal link as a browser does (the link is swapped for a device cookie, which
    ``client`` keeps) and returns the personal page at its address without the token."""
    opened = await client.get(f"/me/{token}")
    assert opened.status_code == 200, opened.status_code
    return await client.get("/me")
