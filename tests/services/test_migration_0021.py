"""The drop-in migration (0021): existing series allow no drop-in and existing enrolments are not
drop-ins, with no browser key; on the way down the columns go and the rows stay."""

from tests.services.migration_support import Migrating, rows, run, sqlite_url

BEFORE = "0017"
# A program, a series and an enrolment, in the columns 0017 gave them.
ROWS_AT_BEFORE = (
    "INSERT INTO programs (slug, name, description, life_situation, media_mode,"
    " session_count, duration_minutes, cadence, capacity, min_size, themes)"
    " VALUES ('eroneuvo-live', 'Eroneuvo live', '', 'separation', 'stage', 1, 45,"
    " 'monthly', 100, 1, '[]')",
    "INSERT INTO series (program_id, title, description, life_situation, capacity, min_size,"
    " enrolment_deadline, status, cadence, weekday, nth, interval, local_time,"
    " duration_minutes, questions, identifying_held, calendar_uid, created_at, lock_version)"
    " VALUES (1, 'Live', '', 'separation', 100, 1, :now, 'open', 'monthly', 3, 1, 1,"
    " '18:00', 45, '[]', 0, 'uid-1', :now, 0)",
    "INSERT INTO enrolments (series_id, pseudonym, pseudonym_key, language, answers, status,"
    " token_hash, created_at, updated_at) VALUES (1, 'Mira', 'mira', 'fi', '{}', 'enrolled',"
    " :hash, :now, :now)",
)


async def test_existing_series_and_enrolments_are_not_drop_ins_and_the_columns_go_down(
    tmp_path, clock
):
    path = tmp_path / "tupa.db"
    async with Migrating(sqlite_url(path), BEFORE) as migrating:
        run(path, *ROWS_AT_BEFORE, now=clock.now.isoformat(), hash="f" * 64)

        await migrating.up()
        assert rows(path, "SELECT drop_in FROM series") == [(0,)]
        assert rows(path, "SELECT drop_in, browser_key FROM enrolments") == [(0, None)]

        await migrating.down()
        found = await migrating.columns(["series", "enrolments"])
        assert "drop_in" not in found["series"]
        assert not {"drop_in", "browser_key"} & found["enrolments"]
        assert rows(path, "SELECT pseudonym, status FROM enrolments") == [("Mira", "enrolled")]
