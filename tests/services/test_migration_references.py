"""On SQLite, a migration that re-creates a table keeps the rows that refer to it (with foreign
keys enforced, dropping the old table would first delete them by cascade)."""

from alembic import command
from sqlalchemy import create_engine, text

from server.storage.db import Database
from server.storage.migrate import alembic_config, upgrade
from tests.conftest import in_thread
from tests.services.feedback_support import answer, parents_after_a_held_session

# 0010's downgrade drops columns of enrolments, which SQLite can only do by re-creating the table.
RECREATES_ENROLMENTS = "0009"
REFERRING = ("room_members", "feedback_receipts", "self_assessments", "enrolments")


def counts(path):
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in REFERRING}  # noqa: S608
    finally:
        engine.dispose()


async def test_re_creating_enrolments_deletes_no_row_that_refers_to_them(tmp_path, org, clock):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url)
    database = Database(url)
    enrolment_ids, session_id = await parents_after_a_held_session(database, org, clock, 2)
    for enrolment_id in enrolment_ids:
        await answer(database, enrolment_id, session_id, {"q1": "4"}, clock.now)
    await database.dispose()
    before = counts(path)
    assert before["room_members"] == 2 and before["feedback_receipts"] == 2

    in_thread(command.downgrade, alembic_config(url), RECREATES_ENROLMENTS)
    assert counts(path) == before
    in_thread(upgrade, url)
    assert counts(path) == before
