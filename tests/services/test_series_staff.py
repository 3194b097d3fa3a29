"""Assigning facilitators and volunteers to a series, on SQLite and PostgreSQL."""

from sqlalchemy import select

from server.people.roles import Role
from server.scheduling import service as scheduling
from server.storage.tables import SeriesStaffRow
from tests.factories import a_staff_member, seed_series


async def assigned(database, series_id):
    async with database.unit_of_work() as db:
        rows = await db.scalars(
            select(SeriesStaffRow.staff_id).where(SeriesStaffRow.series_id == series_id)
        )
        return set(rows)


async def test_assignment_keeps_adds_and_drops_staff_in_one_change(database, org, clock):
    async with database.unit_of_work() as db:
        kept = (await a_staff_member(db, clock.now, Role.FACILITATOR)).id
        dropped = (await a_staff_member(db, clock.now, Role.VOLUNTEER)).id
        added = (
            await a_staff_member(db, clock.now, Role.FACILITATOR, email="second@example.org")
        ).id
    series_id = await seed_series(database, org, clock.now, staff_ids=[kept, dropped])

    async with database.unit_of_work() as db:
        await scheduling.assign_staff(db, series_id, [kept, added])
    assert await assigned(database, series_id) == {kept, added}

    async with database.unit_of_work() as db:
        await scheduling.assign_staff(db, series_id, [])
    assert await assigned(database, series_id) == set()
