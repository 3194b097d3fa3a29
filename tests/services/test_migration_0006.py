"""The deactivation migration (0006) goes down and up again, keeping who is deactivated."""

from alembic import command

from server.people import deactivation
from server.people.roles import Role
from server.storage.db import Database
from server.storage.migrate import alembic_config, upgrade
from tests.conftest import in_thread
from tests.factories import a_staff_member
from tests.services.migration_support import rows


async def test_deactivation_migration_goes_down_and_up_keeping_who_is_deactivated(tmp_path, clock):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url)
    database = Database(url)
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)
        leaving = await a_staff_member(db, clock.now, Role.FACILITATOR)
    async with database.unit_of_work() as db:
        await deactivation.deactivate(db, leaving.id, clock.now)
    await database.dispose()

    in_thread(command.downgrade, alembic_config(url), "0005")
    assert rows(path, "SELECT email, active FROM staff ORDER BY email") == [
        ("coordinator@example.org", 1),
        ("facilitator@example.org", 0),
    ]

    in_thread(upgrade, url)
    assert rows(path, "SELECT email, deactivated_at IS NOT NULL FROM staff ORDER BY email") == [
        ("coordinator@example.org", 0),
        ("facilitator@example.org", 1),
    ]
