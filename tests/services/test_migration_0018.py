"""The intakes migration (0018), on SQLite and PostgreSQL: an existing series stays a group (not
an intake, composed from none), a group can name its intake, deleting the intake leaves its
groups standing, and on the way down both columns go while the series stays."""

from datetime import UTC, datetime

from sqlalchemy import text

from tests.services import migration_support
from tests.services.migration_support import Migrating

BEFORE = "0017"
WHEN = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

empty_url = migration_support.empty_url


INSERT_PROGRAM = (
    "INSERT INTO programs (slug, name, description, life_situation, media_mode, session_count,"
    " duration_minutes, cadence, capacity, min_size, themes)"
    " VALUES ('mtt', 'Minä, tunteet ja taidot', '', 'wellbeing', 'group', 9, 90, 'weekly', 8, 4,"
    " '[]') RETURNING id"
)
INSERT_SERIES = (
    "INSERT INTO series (program_id, title, description, life_situation, capacity, min_size,"
    " enrolment_deadline, status, cadence, weekday, nth, interval, local_time, duration_minutes,"
    " questions, identifying_held, calendar_uid, created_at, lock_version)"
    " VALUES (:program_id, :title, '', 'wellbeing', 8, 4, :when, 'open', 'weekly', 0, 1, 1,"
    " '18:00', 90, '[]', false, :uid, :when, 0) RETURNING id"
)


async def test_series_stay_groups_and_groups_name_their_intake(empty_url):
    async with Migrating(empty_url, BEFORE) as migrating:
        database = migrating.database
        async with database.engine.begin() as conn:
            program_id = (await conn.execute(text(INSERT_PROGRAM))).scalar_one()
            values = {"program_id": program_id, "when": WHEN}
            old = (
                await conn.execute(text(INSERT_SERIES), {**values, "title": "Vanha", "uid": "u1"})
            ).scalar_one()

        await migrating.up()
        assert {"intake", "intake_id"} <= (await migrating.columns(["series"]))["series"]
        async with database.engine.begin() as conn:
            row = (
                await conn.execute(
                    text("SELECT intake, intake_id FROM series WHERE id = :id"), {"id": old}
                )
            ).one()
            assert (bool(row.intake), row.intake_id) == (False, None)
            intake = (
                await conn.execute(text(INSERT_SERIES), {**values, "title": "Haku", "uid": "u2"})
            ).scalar_one()
            await conn.execute(
                text("UPDATE series SET intake = true WHERE id = :id"), {"id": intake}
            )
            await conn.execute(
                text("UPDATE series SET intake_id = :intake WHERE id = :id"),
                {"intake": intake, "id": old},
            )
        async with database.engine.begin() as conn:
            if empty_url.startswith("sqlite"):
                await conn.execute(text("PRAGMA foreign_keys = ON"))
            await conn.execute(text("DELETE FROM series WHERE id = :id"), {"id": intake})
        async with database.engine.connect() as conn:
            left = (
                await conn.execute(text("SELECT intake_id FROM series WHERE id = :id"), {"id": old})
            ).scalar_one()
        assert left is None

        await migrating.down()
        assert not {"intake", "intake_id"} & (await migrating.columns(["series"]))["series"]
        async with database.engine.connect() as conn:
            titles = list(await conn.scalars(text("SELECT title FROM series")))
        assert titles == ["Vanha"]
