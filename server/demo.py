"""Demo data: an organisation a visitor can try at once, with staff whose passwords are public.

Never load this into a production database: the README names these credentials.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.demo_history import define_demo_questionnaires, define_live_feedback, running_group
from server.demo_rooms.accounts import DEMO_ACCOUNTS as DEMO_ACCOUNTS
from server.demo_rooms.accounts import DEMO_PASSWORD as DEMO_PASSWORD
from server.enrolment.questions import define_questions
from server.enrolment.service import EnrolmentRequest, enrol
from server.organisation import Organisation
from server.people.roles import Role
from server.people.service import NewStaff, create_staff
from server.scheduling.content import SeriesTranslation
from server.scheduling.programs import template_by_slug
from server.scheduling.recurrence import Cadence, RecurrenceRule, session_starts
from server.scheduling.series import LifeSituation, MediaMode
from server.scheduling.service import (
    SeriesPlan,
    default_deadline,
    ensure_program_templates,
    plan_series,
)
from server.storage.tables import ProgramRow, SeriesRow

# The monthly live series in Swedish and English too, so a visitor sees group content follow the
# page's language (the other demo series stay Finnish-only and show the fallback).
LIVE_TRANSLATIONS = {
    "sv": SeriesTranslation(
        "Information och stöd när en barnfamilj skiljs",
        "Eroneuvo live: en direktsändning den första torsdagen varje månad. En yrkesperson och en "
        "frivillig erfarenhetsexpert samtalar om samarbetsföräldraskap och barnets upplevelse; "
        "tittarna ställer frågor i chatten.",
        [
            "Samarbetsföräldraskap i vardagen",
            "Barnets upplevelse av föräldrarnas skilsmässa",
            "Avtal och umgänge",
            "Högtider i två hem",
        ],
    ),
    "en": SeriesTranslation(
        "Information and support when a family with children separates",
        "Eroneuvo live: a live broadcast on the first Thursday of every month. A professional and "
        "a volunteer with lived experience talk about co-parenting and the child's experience; "
        "viewers ask questions in the chat.",
        [
            "Co-parenting in everyday life",
            "The child's experience of the parents' separation",
            "Agreements and contact arrangements",
            "Holidays in two homes",
        ],
    ),
}


def _next_weekday(after: date, weekday: int) -> date:
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)


async def load_demo(db: AsyncSession, org: Organisation, now: datetime) -> bool:
    """Load the demo organisation into an empty database. Returns False if series already exist."""
    if await db.scalar(select(func.count()).select_from(SeriesRow)):
        return False
    await ensure_program_templates(db)
    staff = {
        a.role: await create_staff(
            db, NewStaff(a.email, a.real_name, a.role, DEMO_PASSWORD, a.alias), now
        )
        for a in DEMO_ACCOUNTS
    }
    programs = {p.slug: p for p in await db.scalars(select(ProgramRow))}
    today = now.astimezone(org.zone).date()

    async def plan(
        slug: str, rule: RecurrenceRule, first_on: date, **overrides: object
    ) -> SeriesRow:
        template = template_by_slug(slug)
        assert template is not None
        fields: dict[str, object] = {
            "program_id": programs[slug].id,
            "title": template.name,
            "description": template.description,
            "life_situation": template.life_situation,
            "rule": rule,
            "first_on": first_on,
            "session_count": template.session_count,
            "duration_minutes": template.duration_minutes,
            "media_mode": template.media_mode,
            "themes": list(template.themes),
            "capacity": template.capacity,
            "min_size": template.min_size,
            "enrolment_deadline": default_deadline(session_starts(rule, first_on, 1, org.zone)[0]),
            "staff_ids": [staff[Role.FACILITATOR].id, staff[Role.VOLUNTEER].id],
            **overrides,
        }
        return await plan_series(db, org, SeriesPlan(**fields), now)  # type: ignore[arg-type]

    first_thursday = RecurrenceRule(Cadence.MONTHLY, 3, time(18, 0), nth=1)
    await plan(
        "eroneuvo-live", first_thursday, today + timedelta(days=1), translations=LIVE_TRANSLATIONS
    )
    separation = await plan(
        "eron-jalkeinen-vanhemmuus",
        RecurrenceRule(Cadence.WEEKLY, 1, time(18, 0)),
        _next_weekday(today + timedelta(days=6), 1),
        questions=define_questions(
            [("Lasten ikäryhmä", "0–2 v | 3–6 v | 7–12 v | 13–17 v", False)]
        ),
    )
    emotions = await plan(
        "mina-tunteet-taidot",
        RecurrenceRule(Cadence.WEEKLY, 2, time(17, 30)),
        _next_weekday(today + timedelta(days=9), 2),
        title="Minä, tunteet ja taidot – talven ryhmä",
        life_situation=LifeSituation.WELLBEING,
        media_mode=MediaMode.GROUP,
    )
    # A few parents already in, so the listing shows enrolment against the minimum.
    for pseudonym in ("Mustikka", "Revontuli"):
        await enrol(db, org, separation.id, EnrolmentRequest(pseudonym), now)
    await enrol(db, org, emotions.id, EnrolmentRequest("Kanerva"), now)
    # The same program's autumn group is halfway through: the evaluation pages have figures.
    await define_demo_questionnaires(db, programs["mina-tunteet-taidot"], now)
    await define_live_feedback(db, programs["eroneuvo-live"], now)
    await running_group(
        db,
        org,
        programs["mina-tunteet-taidot"],
        [staff[Role.FACILITATOR].id, staff[Role.VOLUNTEER].id],
        today,
        now,
    )
    return True
