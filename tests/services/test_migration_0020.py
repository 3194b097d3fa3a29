"""The peer-volunteer migration (0020) keeps every staff account with its e-mail address, lets a
new one have a login name instead, and on the way down takes away the invitations and the
accounts that had no e-mail address (they could not log in any more)."""

from alembic import command

from server.storage.migrate import alembic_config, upgrade
from tests.conftest import in_thread
from tests.services.migration_support import rows, run

BEFORE = "0017"


def tables(path):
    return {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}


async def test_staff_rows_stay_and_login_names_come_and_go(tmp_path, clock):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url, BEFORE)
    insert = (
        "INSERT INTO staff (email, real_name, role, password_hash, created_at) "
        "VALUES (:email, 'Olli Ohjaaja', 'facilitator', 'x', :now)"
    )
    run(path, insert, email="olli@example.org", now=clock.now.isoformat())

    in_thread(command.upgrade, alembic_config(url), "0020")
    assert "peer_invitations" in tables(path)
    assert rows(path, "SELECT email, login_name, login_key FROM staff") == [
        ("olli@example.org", None, None)
    ]
    run(
        path,
        "INSERT INTO staff (email, login_name, login_key, real_name, role, password_hash,"
        " created_at) VALUES (NULL, 'Aamu', 'aamu', 'Anna', 'volunteer', 'x', :now)",
        now=clock.now.isoformat(),
    )

    in_thread(command.downgrade, alembic_config(url), BEFORE)
    assert "peer_invitations" not in tables(path)
    assert rows(path, "SELECT email FROM staff") == [("olli@example.org",)]
