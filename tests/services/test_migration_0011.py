"""The sealed-outbox migration (0011): the content of sent mail is deleted; mail still waiting
keeps working, marked as plain text until the next background pass seals it; it goes down again."""

from alembic import command

from server.notify.outbox import tidy
from server.storage.db import Database
from server.storage.migrate import alembic_config, upgrade
from tests.conftest import in_thread
from tests.services.mail_support import queued
from tests.services.migration_support import run

BEFORE = "0010"
LINK = "http://testserver/me/Zq3VUk8tmKq0vW1oPnx4bYc7sL2dE9fGhJ5aR6uT0iQ"


async def test_sent_mail_loses_its_content_and_waiting_mail_is_sealed_after_the_upgrade(
    tmp_path, org, clock
):
    path = tmp_path / "tupa.db"
    url = f"sqlite+aiosqlite:///{path}"
    in_thread(upgrade, url, BEFORE)
    insert = (
        "INSERT INTO outbox (dedupe_key, recipient, subject, body, created_at, send_after, "
        "sent_at, attempts) VALUES (:key, :to, 'Tupa', :body, :now, :now, :sent, 0)"
    )
    now = clock.now.isoformat()
    run(path, insert, key="sent", to="old@example.fi", body=LINK, now=now, sent=now)
    run(path, insert, key="waiting", to="mina@example.fi", body=LINK, now=now, sent=None)

    in_thread(upgrade, url)
    [stored] = run(
        path, "SELECT dedupe_key, template, sealed, sent_at IS NULL FROM outbox ORDER BY id"
    )
    assert stored[0] == ("sent", "mail", None, 0)
    assert stored[1][:2] == ("waiting", "mail") and stored[1][2].startswith("plain:")
    database = Database(url)
    try:
        async with database.unit_of_work() as db:
            await tidy(db, org.mail_key, clock.now)
        async with database.unit_of_work() as db:
            [mail] = await queued(db, org)
    finally:
        await database.dispose()
    assert (mail.recipient, mail.body) == ("mina@example.fi", LINK)
    [sealed] = run(path, "SELECT sealed FROM outbox WHERE dedupe_key = 'waiting'")
    assert "mina@example.fi" not in sealed[0][0] and LINK not in sealed[0][0]

    in_thread(command.downgrade, alembic_config(url), BEFORE)
    [columns] = run(path, "SELECT name FROM pragma_table_info('outbox')")
    assert {"recipient", "subject", "body"} <= {c for (c,) in columns}
    assert "sealed" not in {c for (c,) in columns}
