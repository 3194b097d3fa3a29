"""The password-reset and security-log migration (0013) creates both tables empty and takes them
away again on the way down, leaving the staff rows as they were."""

from alembic import command

from server.storage.migrate import alembic_config, upgrade
from tests.conftest import in_thread
from tests.services.migration_support import rows, run

BEFORE = "0012"
TABLES = {"staff_password_resets", "staff_security_events"}


def tables(path):
    return {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_the_reset_and_log_tables_come_and_go_and_staff_rows_stay(tmp_path, clock):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url, BEFORE)
    run(
        path,
        "INSERT INTO staff (email, real_name, role, password_hash, failed_logins, created_at) "
        "VALUES ('olli@example.org', 'Olli Ohjaaja', 'facilitator', 'x', 0, :now)",
        now=clock.now.isoformat(),
    )
    assert not TABLES & tables(path)

    in_thread(command.upgrade, alembic_config(url), "0013")
    assert tables(path) >= TABLES
    assert rows(path, "SELECT count(*) FROM staff_password_resets") == [(0,)]
    assert rows(path, "SELECT count(*) FROM staff_security_events") == [(0,)]

    in_thread(command.downgrade, alembic_config(url), BEFORE)
    assert not TABLES & tables(path)
    assert rows(path, "SELECT email FROM staff") == [("olli@example.org",)]
