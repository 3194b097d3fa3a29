"""The content-languages migration (0015), on SQLite and PostgreSQL: existing series and sessions
keep their Finnish content and show it in every language, the shipped programs get their Swedish
and English names, and on the way down the translations go while the Finnish stays."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import column, insert, inspect, select, table, text

from server.localised import Texts
from server.storage.db import Database
from server.storage.migrate import alembic_config, upgrade
from server.storage.tables import Base, SeriesRow
from tests.conftest import (
    _drop_database,
    _postgres_scratch_database,
    in_thread,
    service_unavailable,
)

BEFORE = "0014"
TABLES = Base.metadata.tables
NEW_COLUMNS = {
    "programs": {"name_sv", "name_en"},
    "series": {"title_sv", "title_en", "description_sv", "description_en"},
    "sessions": {"theme_sv", "theme_en"},
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_url(request, tmp_path) -> AsyncIterator[str]:
    """A database with no tables yet, for a migration to build up step by step."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'tupa.db'}"
        return
    url, problem = await _postgres_scratch_database()
    if url is None:
        service_unavailable(f"PostgreSQL not usable: {problem}")
    try:
        yield url
    finally:
        await _drop_database(url)


async def columns(database: Database) -> dict[str, set[str]]:
    async with database.engine.connect() as conn:
        found = await conn.run_sync(
            lambda sync: {t: {c["name"] for c in inspect(sync).get_columns(t)} for t in NEW_COLUMNS}
        )
    return found


# Columns later migrations add, which the tables at BEFORE do not have yet.
ADDED_LATER = {
    "identifying_held",
    "drop_in",
    "browser_key",
    "intake",
    "intake_id",
    "individual_limit",
    "kind",
}


def insert_as_before(name: str, /, **values: object):
    """An insert into the table as it was at BEFORE: the given values and the models' plain
    defaults, but for columns later migrations add (``series.identifying_held``,
    ``series.intake``)."""
    defaults = {
        c.name: c.default.arg(None) if callable(c.default.arg) else c.default.arg  # type: ignore[attr-defined]
        for c in TABLES[name].c
        if c.default is not None and c.name not in ADDED_LATER
    }
    values = defaults | values
    columns = (column(key, TABLES[name].c[key].type) for key in values)
    return insert(table(name, *columns)).values(**values)


async def test_existing_series_keep_their_finnish_content_and_programs_get_their_names(
    empty_url, clock
):
    in_thread(upgrade, empty_url, BEFORE)
    database = Database(empty_url)
    try:
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
        await database.engine.dispose()

        in_thread(upgrade, empty_url)
        assert all(NEW_COLUMNS[t] <= found for t, found in (await columns(database)).items())
        async with database.unit_of_work() as db:
            series = await db.get(SeriesRow, series_id)
            assert series is not None
            assert series.title_texts == Texts("Kevään ryhmä")
            assert series.description_texts == Texts("Kuvaus")
            assert [s.theme_texts for s in series.sessions] == [Texts("Tutustuminen")]
            assert series.program.name_texts == Texts(
                "Vertaisvoimaa vanhemmille", "Kamratkraft för föräldrar", "Peer power for parents"
            )
        await database.engine.dispose()

        in_thread(command.downgrade, alembic_config(empty_url), BEFORE)
        assert not any(NEW_COLUMNS[t] & found for t, found in (await columns(database)).items())
        async with database.engine.connect() as conn:
            titles = (await conn.execute(select(TABLES["series"].c.title))).all()
        assert [t for (t,) in titles] == ["Kevään ryhmä"]
    finally:
        await database.dispose()
