"""Live demo sessions (demo only): one per media mode, always open or about to open.

Each is a series of one session that starts a few minutes after it is planned and lasts an hour;
the background pass plans the next one a quarter of an hour before the current one ends, so a
visitor always finds a chat group, a video group and a stage to walk into. A live series is marked
by its leader, not by a column of its own: it is a series the simulated facilitator is assigned
to. Enrolment stays open until its session ends (a visitor joins a session already running), and
the series is confirmed from the start, so no coordinator is asked to decide on it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.demo_rooms.accounts import public_staff, simulated_staff
from server.enrolment.rules import EnrolmentStatus, SeriesStatus
from server.enrolment.service import EnrolmentRequest, NewEnrolment, enrol
from server.errors import ErrorCode, TupaError
from server.organisation import Organisation
from server.people.roles import Role
from server.rooms.state import ParticipantRole
from server.rooms.store import Entrant
from server.scheduling.content import SeriesTranslation
from server.scheduling.programs import template_by_slug
from server.scheduling.recurrence import Cadence, RecurrenceRule
from server.scheduling.series import MAX_CAPACITY, MediaMode, SessionStatus
from server.scheduling.service import SeriesPlan, ensure_program_templates, plan_series
from server.settings import Language
from server.storage.tables import EnrolmentRow, ProgramRow, SeriesRow, SeriesStaffRow, SessionRow

# The program each live room comes from, and the demo parents whose history it has.
LIVE_PROGRAMS: dict[MediaMode, str] = {
    MediaMode.CHAT: "eron-jalkeinen-vanhemmuus",
    MediaMode.GROUP: "vertaisvoimaa",
    MediaMode.STAGE: "eroneuvo-live",
}
HISTORY_PARENTS: dict[MediaMode, tuple[str, ...]] = {
    MediaMode.CHAT: ("Mustikka", "Revontuli", "Kanerva"),
    MediaMode.GROUP: ("Kaisla", "Lumikki", "Paju"),
    MediaMode.STAGE: ("Orvokki", "Ruska", "Usva"),
}
STARTS_AFTER = timedelta(minutes=3)
LENGTH_MINUTES = 60
RENEW_BEFORE_END = timedelta(minutes=15)
# Words for a visitor's pseudonym, with a number: "Kielo 42".
PSEUDONYM_WORDS = (
    "Aamu",
    "Haapa",
    "Ilta",
    "Kataja",
    "Kielo",
    "Kuura",
    "Lakka",
    "Lumi",
    "Sammal",
    "Suvi",
    "Tähti",
    "Tyyni",
    "Varpu",
    "Vuokko",
)
PSEUDONYM_TRIES = 8


def ends_at(session: SessionRow) -> datetime:
    return session.starts_at + timedelta(minutes=session.duration_minutes)


async def _led_sessions(db: AsyncSession, facilitator_id: int, now: datetime) -> list[SessionRow]:
    """Planned sessions of live series (led by the simulated facilitator) that have not ended."""
    rows = await db.scalars(
        select(SessionRow)
        .join(SeriesRow, SeriesRow.id == SessionRow.series_id)
        .join(SeriesStaffRow, SeriesStaffRow.series_id == SessionRow.series_id)
        .where(
            SeriesStaffRow.staff_id == facilitator_id,
            SeriesRow.status != SeriesStatus.CANCELLED.value,
            SessionRow.status == SessionStatus.PLANNED.value,
            SessionRow.starts_at > now - timedelta(days=1),
        )
        .order_by(SessionRow.starts_at)
    )
    return [s for s in rows.unique() if ends_at(s) > now]


async def _facilitator_id(db: AsyncSession, now: datetime) -> int | None:
    facilitator = (await simulated_staff(db, now)).get(Role.FACILITATOR)
    return None if facilitator is None else facilitator.id


async def running(db: AsyncSession, now: datetime, opens_before: timedelta) -> list[SessionRow]:
    """The live sessions whose rooms may be open now: the simulated staff tend these."""
    facilitator_id = await _facilitator_id(db, now)
    if facilitator_id is None:
        return []
    sessions = await _led_sessions(db, facilitator_id, now)
    return [s for s in sessions if s.starts_at - opens_before <= now]


async def live_sessions(db: AsyncSession, now: datetime) -> dict[MediaMode, SessionRow]:
    """The session a visitor is sent to, per media mode: the latest planned one of each."""
    facilitator_id = await _facilitator_id(db, now)
    if facilitator_id is None:
        return {}
    return {MediaMode(s.media_mode): s for s in await _led_sessions(db, facilitator_id, now)}


async def renew(
    db: AsyncSession,
    org: Organisation,
    now: datetime,
    modes: tuple[MediaMode, ...] = tuple(MediaMode),
) -> list[SessionRow]:
    """Plan a live session for each media mode (of ``modes``) that has none lasting beyond the
    next quarter of an hour. Returns the sessions planned. Run by one pass at a time (the
    background pass, and ``tupa serve --demo`` before it serves)."""
    await ensure_program_templates(db)
    simulated = await simulated_staff(db, now)
    if Role.FACILITATOR not in simulated:
        return []  # a coordinator deactivated the simulated facilitator: the demo rooms stop
    current = await _led_sessions(db, simulated[Role.FACILITATOR].id, now)
    lasting = {MediaMode(s.media_mode) for s in current if ends_at(s) > now + RENEW_BEFORE_END}
    leaders = [*simulated.values(), *(await public_staff(db)).values()]
    staff_ids = [s.id for s in leaders if s.role != Role.COORDINATOR.value]
    planned = []
    for mode in modes:
        if mode not in lasting:
            planned.append(await _plan(db, org, mode, staff_ids, now))
    return planned


async def _plan(
    db: AsyncSession, org: Organisation, mode: MediaMode, staff_ids: list[int], now: datetime
) -> SessionRow:
    template = template_by_slug(LIVE_PROGRAMS[mode])
    assert template is not None
    program = await db.scalar(select(ProgramRow).where(ProgramRow.slug == template.slug))
    assert program is not None
    # Whole minutes (a rule's time has no seconds), at least STARTS_AFTER from now.
    starts = (now + STARTS_AFTER + timedelta(minutes=1)).astimezone(org.zone)
    starts = starts.replace(second=0, microsecond=0)
    plan = SeriesPlan(
        program_id=program.id,
        title=template.name,
        description=template.description,
        life_situation=template.life_situation,
        rule=RecurrenceRule(Cadence.WEEKLY, starts.weekday(), starts.time()),
        first_on=starts.date(),
        session_count=1,
        duration_minutes=LENGTH_MINUTES,
        media_mode=mode,
        themes=list(template.themes[:1]),
        capacity=MAX_CAPACITY,
        min_size=1,
        enrolment_deadline=starts,
        staff_ids=staff_ids,
        # The program's own Swedish and English names, so a visitor reading the demo in those
        # languages sees the room's title in theirs (the rest falls back to Finnish).
        translations={
            "sv": SeriesTranslation(title=template.name_sv or ""),
            "en": SeriesTranslation(title=template.name_en or ""),
        },
    )
    series = await plan_series(db, org, plan, now)
    session = series.sessions[0]
    series.status = SeriesStatus.CONFIRMED.value
    series.enrolment_deadline = ends_at(session)  # a visitor joins while it runs
    # The stage is a public live: a visitor may also drop in from its page without enrolling.
    series.drop_in = mode is MediaMode.STAGE
    for pseudonym in HISTORY_PARENTS[mode]:
        await enrol(db, org, series.id, EnrolmentRequest(pseudonym), now)
    await db.flush()
    return session


async def join_as_parent(
    db: AsyncSession, org: Organisation, mode: MediaMode, now: datetime, language: Language
) -> NewEnrolment:
    """Enrol a visitor in the live session of ``mode`` under a generated pseudonym. Raises
    NOT_FOUND when there is none (the first seconds after a start)."""
    session = (await live_sessions(db, now)).get(mode)
    if session is None:
        raise TupaError(ErrorCode.NOT_FOUND)
    for _ in range(PSEUDONYM_TRIES):
        pseudonym = f"{secrets.choice(PSEUDONYM_WORDS)} {10 + secrets.randbelow(90)}"
        try:
            return await enrol(
                db, org, session.series_id, EnrolmentRequest(pseudonym, language=language), now
            )
        except TupaError as error:
            if error.code is not ErrorCode.PSEUDONYM_TAKEN:
                raise
    raise TupaError(ErrorCode.PSEUDONYM_TAKEN)


async def parent_language(db: AsyncSession, series_id: int, pseudonym: str) -> str | None:
    """The language a parent enrolled in (the page's when they joined), to answer them in it."""
    language: str | None = await db.scalar(
        select(EnrolmentRow.language).where(
            EnrolmentRow.series_id == series_id, EnrolmentRow.pseudonym == pseudonym
        )
    )
    return language


async def history_entrants(db: AsyncSession, session: SessionRow) -> list[Entrant]:
    """The demo parents who write a live room's history, as they enter it. They hold no browser
    device: they come in through the hub of this process, never through a socket."""
    names = HISTORY_PARENTS[MediaMode(session.media_mode)]
    rows = await db.scalars(
        select(EnrolmentRow).where(
            EnrolmentRow.series_id == session.series_id,
            EnrolmentRow.pseudonym.in_(names),
            EnrolmentRow.status == EnrolmentStatus.ENROLLED.value,
        )
    )
    by_name = {row.pseudonym: row for row in rows}
    return [
        Entrant(ParticipantRole.PARENT, name, session.series_id, enrolment_id=by_name[name].id)
        for name in names
        if name in by_name
    ]
