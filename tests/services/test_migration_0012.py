"""The calendar-feed migration (0012): plaintext feed tokens become their hashes, so an address a
calendar app already subscribes to keeps working while the table holds no token; it goes down
again, with new tokens."""

from alembic import command

from server.people import calendar_feeds
from server.storage.db import Database
from server.storage.migrate import alembic_config, upgrade
from tests.conftest import in_thread
from tests.services.migration_support import run

BEFORE = "0011"
TOKENS = {"olli@example.org": "Zq3VUk8tmKq0vW1oPnx4bYc7sL2dE9fG", "aino@example.org": "a" * 32}


async def test_an_existing_feed_address_keeps_working_and_the_table_holds_no_token(tmp_path, clock):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url, BEFORE)
    insert = (
        "INSERT INTO staff (email, real_name, role, password_hash, failed_logins, calendar_token, "
        "created_at) VALUES (:email, 'Olli Ohjaaja', 'facilitator', 'x', 0, :token, :now)"
    )
    for email, token in TOKENS.items():
        run(path, insert, email=email, token=token, now=clock.now.isoformat())

    in_thread(upgrade, url)
    [stored] = run(path, "SELECT * FROM staff")
    dump = repr(stored)
    assert all(token not in dump for token in TOKENS.values())
    database = Database(url)
    try:
        async with database.unit_of_work() as db:
            for email, token in TOKENS.items():
                found = await calendar_feeds.staff_by_feed_token(db, token)
                assert found is not None and found.email == email
    finally:
        await database.dispose()

    in_thread(command.downgrade, alembic_config(url), BEFORE)
    [tokens] = run(path, "SELECT calendar_token FROM staff")
    assert len({t for (t,) in tokens}) == 2 and not set(TOKENS.values()) & {t for (t,) in tokens}
    in_thread(upgrade, url)
    [hashes] = run(path, "SELECT calendar_token_hash FROM staff")
    assert all(h is not None and len(h) == 64 for (h,) in hashes)
