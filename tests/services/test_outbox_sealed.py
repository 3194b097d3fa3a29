"""The outbox holds no working link or address in the clear, and nothing once a mail is sent:
what a leaked database or backup gives away. Without SMTP mail waits, and the log names only its
template."""

import io
import json

import pytest
from sqlalchemy import select, text, update

from server.background import BackgroundWork
from server.enrolment.forgetting import Eraser, erase
from server.logs import configure_logging, remove_logging
from server.notify.mail import Mail
from server.notify.outbox import (
    EXPIRES_AFTER,
    OutboxDispatcher,
    discard_waiting_for,
    enqueue,
    tidy,
)
from server.notify.sealing import LEGACY, seal
from server.notify.waiting import waiting_mail
from server.storage.tables import OutboxRow
from tests.conftest import RecordingMailer
from tests.factories import enrol_parent, seed_series
from tests.services.mail_support import queued

ERASER = Eraser("Kaisa Koordinaattori", "coordinator")


async def everything_in_the_outbox(database) -> str:
    """Every column of every outbox row, as a reader of the database sees them."""
    async with database.unit_of_work() as db:
        rows = (await db.execute(text("SELECT * FROM outbox"))).all()
    return json.dumps([[str(value) for value in row] for row in rows])


async def a_parent_with_mail(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    return await enrol_parent(database, org, series_id, "Mustikka", clock.now, "mina@example.fi")


async def test_a_queued_mail_shows_no_link_address_or_name_to_a_reader_of_the_database(
    database, org, clock
):
    new = await a_parent_with_mail(database, org, clock)

    stored = await everything_in_the_outbox(database)
    for secret in (new.token, "mina@example.fi", "Mustikka", "/me/"):
        assert secret not in stored
    async with database.unit_of_work() as db:
        [mail] = await queued(db, org)
    assert mail.recipient == "mina@example.fi"
    assert f"/me/{new.token}" in mail.body
    assert mail.template == "notice.enrolled"


async def test_a_sent_mail_keeps_its_dedupe_key_and_times_and_nothing_else(
    database, org, clock, mailer
):
    new = await a_parent_with_mail(database, org, clock)
    dispatcher = OutboxDispatcher(database, mailer, "i", org.mail_key)

    assert await dispatcher.dispatch_due(clock.now) == 1

    assert new.token in mailer.sent[0].body
    async with database.unit_of_work() as db:
        row = await db.scalar(select(OutboxRow))
    assert row is not None
    assert row.sealed is None
    assert row.sent_at == clock.now and row.created_at == clock.now
    assert row.dedupe_key.startswith(f"notice:{new.enrolment.id}:enrolled:")
    stored = await everything_in_the_outbox(database)
    for secret in (new.token, "mina@example.fi", "Mustikka"):
        assert secret not in stored


async def test_mail_sealed_under_another_secret_key_is_deleted_not_sent(database, org, clock):
    await a_parent_with_mail(database, org, clock)
    mailer = RecordingMailer()
    another_key = bytes(32)
    dispatcher = OutboxDispatcher(database, mailer, "i", another_key)

    assert await dispatcher.dispatch_due(clock.now) == 0

    assert mailer.sent == []
    async with database.unit_of_work() as db:
        row = await db.scalar(select(OutboxRow))
    assert row is not None and row.sealed is None and row.sent_at is None
    assert row.last_error is not None and row.last_error.startswith("unreadable")


async def test_mail_queued_in_plain_text_before_sealing_is_sealed_by_the_next_pass(
    database, org, clock
):
    await a_parent_with_mail(database, org, clock)
    async with database.unit_of_work() as db:
        [mail] = await queued(db, org)
        legacy = {"recipient": mail.recipient, "subject": mail.subject, "body": mail.body}
        await db.execute(update(OutboxRow).values(sealed=LEGACY + json.dumps(legacy)))

    async with database.unit_of_work() as db:
        assert await queued(db, org) == [mail]  # readable (and sendable) as it is
        await tidy(db, org.mail_key, clock.now)

    assert "mina@example.fi" not in await everything_in_the_outbox(database)
    async with database.unit_of_work() as db:
        assert await queued(db, org) == [mail]


async def test_mail_not_sent_within_a_week_of_being_due_is_deleted(database, org, clock):
    await a_parent_with_mail(database, org, clock)
    async with database.unit_of_work() as db:
        await tidy(db, org.mail_key, clock.now + EXPIRES_AFTER)
        assert len(await waiting_mail(db)) == 1  # a week to the minute: still kept
        await tidy(db, org.mail_key, clock.now + EXPIRES_AFTER + EXPIRES_AFTER / 1000)
        assert await waiting_mail(db) == []
        row = await db.scalar(select(OutboxRow))
    assert row is not None and row.sealed is None and row.sent_at is None


async def test_without_smtp_mail_waits_and_the_log_names_only_its_template(
    database, org, clock, settings
):
    log = io.StringIO()
    handler = configure_logging(log)
    try:
        new = await a_parent_with_mail(database, org, clock)
        work = BackgroundWork(database, settings, None, clock)
        assert await work.run_once() == 0
    finally:
        remove_logging(handler)

    async with database.unit_of_work() as db:
        [waiting] = await waiting_mail(db)
        [mail] = await queued(db, org)
    assert (waiting.template, waiting.language) == ("notice.enrolled", "fi")
    assert new.token in mail.body
    written = log.getvalue()
    assert "mail queued: notice.enrolled" in written
    for secret in (new.token, "mina@example.fi", "Mustikka", mail.subject):
        assert secret not in written


async def test_an_smtp_refusal_quoting_the_address_leaves_it_in_neither_log_nor_row(
    database, org, clock
):
    class RefusingMailer(RecordingMailer):
        async def send(self, mail):
            raise ValueError(f"550 5.1.1 <{mail.recipient}>: Recipient address rejected")

    await a_parent_with_mail(database, org, clock)
    log = io.StringIO()
    handler = configure_logging(log)
    try:
        dispatcher = OutboxDispatcher(database, RefusingMailer(), "i", org.mail_key)
        assert await dispatcher.dispatch_due(clock.now) == 0
    finally:
        remove_logging(handler)

    assert "mail 1 (notice.enrolled) not sent: ValueError" in log.getvalue()
    assert "mina@example.fi" not in log.getvalue()
    async with database.unit_of_work() as db:
        row = await db.scalar(select(OutboxRow))
    assert row is not None and row.last_error is not None
    assert "Recipient address rejected" in row.last_error
    assert "mina@example.fi" not in row.last_error


async def test_enqueueing_without_the_organisations_key_fails_rather_than_store_plain_text(
    database, org, clock
):
    mail = Mail("a@example.org", "S", "B", "reminder", "fi")
    with pytest.raises(ValueError, match="no outbox key"):
        async with database.unit_of_work() as db:
            await enqueue(db, b"", "k", mail, clock.now)
    assert await everything_in_the_outbox(database) == "[]"
    assert seal(org.mail_key, mail) != seal(org.mail_key, mail)  # a fresh IV each time


async def test_erasing_a_parent_deletes_the_mail_waiting_for_them_and_no_one_elses(
    database, org, clock
):
    first = await a_parent_with_mail(database, org, clock)
    other = await enrol_parent(
        database, org, first.enrolment.series_id, "Puolukka", clock.now, "p@example.fi"
    )
    async with database.unit_of_work() as db:
        await erase(db, org, first.enrolment.series_id, first.enrolment.id, clock.now, ERASER)
    async with database.unit_of_work() as db:
        assert [m.recipient for m in await queued(db, org)] == ["p@example.fi"]
        assert await discard_waiting_for(db, [other.enrolment.id]) == 1
        assert await queued(db, org) == []
