"""Shared steps for intake tests: open an intake, enrol parents, and compose its groups."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from server.enrolment import service as enrolment_service
from server.enrolment.composition import Proposal, propose
from server.enrolment.questions import Question
from server.enrolment.service import EnrolmentRequest, NewEnrolment
from server.scheduling import intakes
from server.scheduling.intakes import GroupPlan, IntakePlan
from server.scheduling.series import LifeSituation
from server.scheduling.service import ensure_program_templates, list_programs
from server.storage.tables import SeriesRow

AGES = ["0–2 v", "3–6 v"]


async def open_intake(database, now: datetime, capacity: int = 6) -> int:
    async with database.unit_of_work() as db:
        await ensure_program_templates(db)
        program = (await list_programs(db))[0]
        plan = IntakePlan(
            program_id=program.id,
            title="Minä, tunteet ja taidot – haku",
            description="",
            life_situation=LifeSituation.WELLBEING,
            capacity=capacity,
            min_size=2,
            enrolment_deadline=now + timedelta(days=3),
            questions=[Question("q1", "Lapsen ikä", AGES, True)],
        )
        return (await intakes.plan_intake(db, plan, now)).id


async def enrol(
    database, org, series_id: int, name: str, now: datetime, email: str | None = None
) -> NewEnrolment:
    async with database.unit_of_work() as db:
        request = EnrolmentRequest(name, email, {"q1": AGES[0]})
        return await enrolment_service.enrol(db, org, series_id, request, now)


def plans(now: datetime, count: int = 2) -> list[GroupPlan]:
    first = (now + timedelta(days=14)).date()
    return [GroupPlan(f"Ryhmä {i + 1}", first, time(18, 0)) for i in range(count)]


async def compose_now(database, org, intake_id: int, now: datetime, capacity: int = 4) -> list[int]:
    """Close the intake, compose the proposed groups (sizes 2 to ``capacity``), return their ids."""
    async with database.unit_of_work() as db:
        await intakes.close_now(db, intake_id, now)
    async with database.unit_of_work() as db:
        people = intakes.people_of(await intakes.seated(db, intake_id))
    result = propose(people, ["q1"], 2, capacity)
    assert isinstance(result, Proposal)
    assignment = {pid: g for g, ids in enumerate(result.groups) for pid in ids}
    async with database.unit_of_work() as db:
        groups = await intakes.compose(
            db, org, intake_id, plans(now, len(result.groups)), assignment, 2, capacity, now
        )
        return [g.id for g in groups]


async def reopen(database, group_id: int, until: datetime) -> None:
    """A coordinator lets a composed group take enrolments again until ``until``."""
    async with database.unit_of_work() as db:
        group = await db.get(SeriesRow, group_id)
        assert group is not None
        group.enrolment_deadline = until
