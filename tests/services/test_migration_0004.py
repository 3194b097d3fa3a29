"""The bans migration (0004) goes down and up again, keeping the bans the old schema can hold."""

from alembic import command
from sqlalchemy import select

from server.enrolment import bans
from server.storage.db import Database
from server.storage.migrate import alembic_config, upgrade
from server.storage.tables import SessionRow
from tests.conftest import in_thread
from tests.factories import enrol_parent, seed_series
from tests.services.migration_support import rows


async def test_bans_migration_goes_down_and_up_dropping_only_bans_without_a_session(
    tmp_path, org, clock
):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url)
    database = Database(url)
    series_id = await seed_series(database, org, clock.now)
    in_room = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    on_page = await enrol_parent(database, org, series_id, "Puolukka", clock.now)
    async with database.unit_of_work() as db:
        session_id = await db.scalar(select(SessionRow.id).where(SessionRow.series_id == series_id))
        await bans.ban(db, org, series_id, in_room.enrolment.id, clock.now, "Olli", session_id)
        await bans.ban(db, org, series_id, on_page.enrolment.id, clock.now, "Kaisa")
    await database.dispose()

    in_thread(command.downgrade, alembic_config(url), "0003")
    assert rows(path, "SELECT enrolment_id, session_id FROM series_bans") == [
        (in_room.enrolment.id, session_id)
    ]
    assert rows(path, "SELECT count(*) FROM moderation_log WHERE session_id IS NULL") == [(0,)]

    in_thread(upgrade, url)
    assert rows(path, "SELECT enrolment_id, by_name FROM series_bans") == [
        (in_room.enrolment.id, "")
    ]
