"""A series that has ended with one parent who completed it and one who never came, for the
peer-volunteer tests (shared by the service and web tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from server.evaluation.attendance_sheet import EvaluationRules, correct_attendance
from server.people.roles import Role
from server.storage.tables import RoomRow
from tests.factories import a_series, a_staff_member, enrol_parent

RULES = EvaluationRules()


@dataclass(frozen=True)
class EndedSeries:
    series_id: int
    program_id: int
    coordinator_id: int
    completed: int  # enrolment ids
    never_came: int
    completed_token: str
    never_came_token: str


async def ended_series(database, org, clock, completed: str = "Kaisla") -> EndedSeries:
    """Two sessions, both held; ``completed`` attended both, "Usva" neither; the clock then
    stands a day after the last one."""
    async with database.unit_of_work() as db:
        coordinator = await a_staff_member(db, clock.now, Role.COORDINATOR, "koordi@example.org")
        series = await a_series(db, org, clock.now, session_count=2, questions=[])
        series_id, program_id = series.id, series.program_id
        sessions = [(s.id, s.starts_at) for s in series.sessions]
    done = await enrol_parent(database, org, series_id, completed, clock.now, "kaisla@example.org")
    absent = await enrol_parent(database, org, series_id, "Usva", clock.now)
    async with database.unit_of_work() as db:
        for session_id, starts_at in sessions:
            db.add(
                RoomRow(
                    session_id=session_id,
                    status="ended",
                    opened_at=starts_at,
                    ended_at=starts_at + timedelta(minutes=90),
                )
            )
        await db.flush()
        for session_id, starts_at in sessions:
            await correct_attendance(
                db,
                series_id,
                session_id,
                done.enrolment.id,
                True,
                "oli paikalla",
                coordinator.id,
                starts_at,
            )
    clock.now = sessions[-1][1] + timedelta(days=1)
    return EndedSeries(
        series_id,
        program_id,
        coordinator.id,
        done.enrolment.id,
        absent.enrolment.id,
        done.token,
        absent.token,
    )
