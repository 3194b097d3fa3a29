"""The public-listing migration (0023): existing series stay on the public lists; on the way down
the column goes and the series stay."""

from tests.services.migration_support import Migrating, rows, run, sqlite_url
from tests.services.test_migration_0021 import ROWS_AT_BEFORE

BEFORE = "0022"


async def test_existing_series_stay_listed_and_the_column_goes_down(tmp_path, clock):
    path = tmp_path / "tupa.db"
    async with Migrating(sqlite_url(path), BEFORE) as migrating:
        run(path, *ROWS_AT_BEFORE[:2], now=clock.now.isoformat())

        await migrating.up()
        assert rows(path, "SELECT title, listed FROM series") == [("Live", 1)]

        await migrating.down()
        assert "listed" not in (await migrating.columns(["series"]))["series"]
        assert rows(path, "SELECT title FROM series") == [("Live",)]
