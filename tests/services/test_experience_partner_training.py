"""The Kokemuskumppani training ships as a program: 100 hours over 4–5 months in training days,
with supervision afterwards; trainees enrol as parents do, so the training's attendance and
commitment percentage are figured like any series'."""

from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from server.enrolment.service import EnrolmentRequest, enrol
from server.evaluation.attendance_sheet import EvaluationRules, correct_attendance
from server.evaluation.service import series_evaluation
from server.people.roles import Role
from server.scheduling.programs import template_by_slug
from server.scheduling.recurrence import Cadence, RecurrenceRule
from server.scheduling.service import SeriesPlan, ensure_program_templates, plan_series
from server.storage.tables import ProgramRow, RoomRow
from tests.factories import a_staff_member

TRAINING = "kokemuskumppanikoulutus"
SUPERVISION = "kokemuskumppanien-tyonohjaus"


def test_the_training_is_100_hours_over_four_to_five_months_then_supervision():
    training = template_by_slug(TRAINING)
    supervision = template_by_slug(SUPERVISION)
    assert training is not None and supervision is not None
    assert training.session_count * training.duration_minutes >= 100 * 60
    span = timedelta(weeks=training.session_count - 1)
    assert timedelta(days=4 * 30) <= span <= timedelta(days=5 * 31)
    assert len(training.themes) == training.session_count
    assert supervision.cadence is Cadence.MONTHLY


async def test_a_training_series_is_planned_and_its_commitment_reported_like_any(
    database, org, clock
):
    async with database.unit_of_work() as db:
        await ensure_program_templates(db)
        program = await db.scalar(select(ProgramRow).where(ProgramRow.slug == TRAINING))
        template = template_by_slug(TRAINING)
        assert program is not None and template is not None
        coordinator = await a_staff_member(db, clock.now, Role.COORDINATOR)
        first_on: date = (clock.now + timedelta(days=14)).date()
        series = await plan_series(
            db,
            org,
            SeriesPlan(
                program_id=program.id,
                title="Kokemuskumppanikoulutus – kevät",
                description=template.description,
                life_situation=template.life_situation,
                rule=RecurrenceRule(Cadence.WEEKLY, first_on.weekday(), time(9, 0)),
                first_on=first_on,
                session_count=template.session_count,
                duration_minutes=template.duration_minutes,
                media_mode=template.media_mode,
                themes=list(template.themes),
                capacity=template.capacity,
                min_size=template.min_size,
                enrolment_deadline=clock.now + timedelta(days=7),
            ),
            clock.now,
        )
        assert [s.duration_minutes for s in series.sessions] == [300] * 20
        assert series.listed is False  # its address goes to those invited, not the front page
        trainees = [
            (await enrol(db, org, series.id, EnrolmentRequest(name), clock.now)).enrolment.id
            for name in ("Harjoittelija A", "Harjoittelija B")
        ]
        held = series.sessions[:2]
        for session in held:
            db.add(
                RoomRow(
                    session_id=session.id,
                    status="ended",
                    opened_at=session.starts_at,
                    ended_at=session.starts_at + timedelta(minutes=300),
                )
            )
        await db.flush()
        # A attended both training days, B the first only: 3 attendances of 2 × 2 places.
        for session, who in ((held[0], trainees), (held[1], trainees[:1])):
            for enrolment_id in who:
                await correct_attendance(
                    db,
                    series.id,
                    session.id,
                    enrolment_id,
                    True,
                    "läsnä",
                    coordinator.id,
                    session.starts_at,
                )
        evaluation = await series_evaluation(db, series.id, EvaluationRules())
    assert evaluation.commitment.sessions_held == 2
    assert evaluation.commitment.percentage == Decimal("75.00")
