"""The content-languages migration (0015), on SQLite and PostgreSQL: existing series and sessions
keep their Finnish content and show it in every language, the shipped programs get their Swedish
and English names, and on the way down the translations go while the Finnish stays."""

from datetime import timedelta

from sqlalchemy import select, text

from server.localised import Texts
from server.storage.tables import SeriesRow
from tests.services import migration_support
from tests.services.migration_support import TABLES, Migrating, insert_named, model_defaults

BEFORE = "0014"
NEW_COLUMNS = {
    "programs": {"name_sv", "name_en"},
    "series": {"title_sv", "title_en", "description_sv", "description_en"},
    "sessions": {"theme_sv", "theme_en"},
}
# Columns later migrations add, which the tables at BEFORE do not have yet.
ADDED_LATER = {
    "identifying_held",
    "drop_in",
    "browser_key",
    "intake",
    "intake_id",
    "individual_limit",
    "listed",
    "kind",
}

empty_url = migration_support.empty_url


def insert_as_before(name: str, /, **values: object):
    """An insert into the table as it was at BEFORE: the given values and the models' plain
    defaults, but for columns later migrations add (``series.identifying_held``,
    ``series.intake``)."""
    return insert_named(name, **(model_defaults(name, ADDED_LATER) | values))


async def test_existing_series_keep_their_finnish_content_and_programs_get_their_names(
    empty_url, clock
):
    async with Migrating(empty_url, BEFORE) as migrating:
        database = migrating.database
        async with database.engine.begin() as conn:
            program_id = (
                await conn.execute(
                    insert_as_before(
                        "programs",
                        slug="vertaisvoimaa",
                        name="Vertaisvoimaa vanhemmille",
                        description="",
                        life_situation="under_school_age",
                        media_mode="group",
                        session_count=1,
                        duration_minutes=75,
                        cadence="weekly",
                        capacity=8,
                        min_size=4,
                        themes=[],
                    ).returning(text("id"))
                )
            ).scalar_one()
            series_id = (
                await conn.execute(
                    insert_as_before(
                        "series",
                        program_id=program_id,
                        title="Kevään ryhmä",
                        description="Kuvaus",
                        life_situation="under_school_age",
                        capacity=8,
                        min_size=4,
                        enrolment_deadline=clock.now + timedelta(days=5),
                        status="open",
                        cadence="weekly",
                        weekday=0,
                        local_time="18:00",
                        duration_minutes=75,
                        calendar_uid="uid-1",
                        created_at=clock.now,
                    ).returning(text("id"))
                )
            ).scalar_one()
            await conn.execute(
                insert_as_before(
                    "sessions",
                    series_id=series_id,
                    theme="Tutustuminen",
                    media_mode="group",
                    starts_at=clock.now + timedelta(days=7),
                    duration_minutes=75,
                )
            )

        await migrating.up()
        assert all(
            NEW_COLUMNS[t] <= found for t, found in (await migrating.columns(NEW_COLUMNS)).items()
        )
        async with database.unit_of_work() as db:
            series = await db.get(SeriesRow, series_id)
            assert series is not None
            assert series.title_texts == Texts("Kevään ryhmä")
            assert series.description_texts == Texts("Kuvaus")
            assert [s.theme_texts for s in series.sessions] == [Texts("Tutustuminen")]
            assert series.program.name_texts == Texts(
                "Vertaisvoimaa vanhemmille", "Kamratkraft för föräldrar", "Peer power for parents"
            )

        await migrating.down()
        assert not any(
            NEW_COLUMNS[t] & found for t, found in (await migrating.columns(NEW_COLUMNS)).items()
        )
        async with database.engine.connect() as conn:
            titles = (await conn.execute(select(TABLES["series"].c.title))).all()
        assert [t for (t,) in titles] == ["Kevään ryhmä"]
