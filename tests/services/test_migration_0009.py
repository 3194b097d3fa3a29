"""The unlinkable-feedback migration (0009) goes down and up again keeping every answer: up, the
answers get random ids and the receipts lose their time."""

import json
import uuid

from alembic import command

from server.storage.db import Database
from server.storage.migrate import alembic_config, upgrade
from tests.conftest import in_thread
from tests.services.feedback_support import answer, parents_after_a_held_session
from tests.services.migration_support import rows

BEFORE = "0008"


def texts(path):
    return sorted(
        json.loads(a)["q2"] for (a,) in rows(path, "SELECT answers FROM feedback_answers")
    )


async def test_feedback_migration_goes_down_and_up_keeping_every_answer(tmp_path, org, clock):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url)
    database = Database(url)
    enrolment_ids, session_id = await parents_after_a_held_session(database, org, clock, 3)
    for n, enrolment_id in enumerate(enrolment_ids):
        await answer(database, enrolment_id, session_id, {"q1": "4", "q2": f"t{n}"}, clock.now)
    await database.dispose()

    in_thread(command.downgrade, alembic_config(url), BEFORE)
    assert texts(path) == ["t0", "t1", "t2"]
    assert sorted(i for (i,) in rows(path, "SELECT id FROM feedback_answers")) == [1, 2, 3]
    assert len(rows(path, "SELECT created_at FROM feedback_receipts")) == 3

    in_thread(upgrade, url)
    assert texts(path) == ["t0", "t1", "t2"]
    for (answer_id,) in rows(path, "SELECT id FROM feedback_answers"):
        assert uuid.UUID(answer_id).version == 4
    receipt_columns = [c[1] for c in rows(path, "PRAGMA table_info(feedback_receipts)")]
    assert receipt_columns == ["session_id", "enrolment_id"]
