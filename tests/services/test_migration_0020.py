"""The peer-volunteer migration (0020) keeps every staff account with its e-mail address, lets a
new one have a login name instead, and on the way down takes away the invitations and the
accounts that had no e-mail address (they could not log in any more)."""

from tests.services.migration_support import Migrating, rows, run, sqlite_url

BEFORE = "0017"


async def test_staff_rows_stay_and_login_names_come_and_go(tmp_path, clock):
    path = tmp_path / "tupa.db"
    async with Migrating(sqlite_url(path), BEFORE) as migrating:
        insert = (
            "INSERT INTO staff (email, real_name, role, password_hash, created_at) "
            "VALUES (:email, 'Olli Ohjaaja', 'facilitator', 'x', :now)"
        )
        run(path, insert, email="olli@example.org", now=clock.now.isoformat())

        await migrating.up("0020")
        assert "peer_invitations" in await migrating.tables()
        assert rows(path, "SELECT email, login_name, login_key FROM staff") == [
            ("olli@example.org", None, None)
        ]
        run(
            path,
            "INSERT INTO staff (email, login_name, login_key, real_name, role, password_hash,"
            " created_at) VALUES (NULL, 'Aamu', 'aamu', 'Anna', 'volunteer', 'x', :now)",
            now=clock.now.isoformat(),
        )

        await migrating.down()
        assert "peer_invitations" not in await migrating.tables()
        assert rows(path, "SELECT email FROM staff") == [("olli@example.org",)]
