"""The outbox sends each message once, even with two instances dispatching at the same time."""

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from server.background import BackgroundWork
from server.notify.outbox import Mail, OutboxDispatcher, enqueue
from server.scheduling import service as scheduling
from server.storage.db import Database
from server.storage.tables import OutboxRow
from tests.conftest import RecordingMailer
from tests.factories import a_staff_member, enrol_parent, seed_series


def a_mail(recipient: str = "a@example.org", body: str = "B") -> Mail:
    return Mail(recipient, "S", body, "reminder", "fi")


async def test_enqueueing_the_same_key_twice_queues_one_message(database, org, clock):
    async with database.unit_of_work() as db:
        await enqueue(db, org.mail_key, "k1", a_mail(), clock.now)
        await enqueue(db, org.mail_key, "k1", a_mail(), clock.now)
    async with database.unit_of_work() as db:
        assert await db.scalar(select(func.count()).select_from(OutboxRow)) == 1


async def test_two_instances_dispatching_at_once_send_each_message_exactly_once(
    database, org, clock
):
    async with database.unit_of_work() as db:
        for i in range(40):
            await enqueue(db, org.mail_key, f"k{i}", a_mail(f"p{i}@example.org"), clock.now)
    # Two instances: separate engines (connection pools) against the same database.
    second = Database(database.url)
    mail_a, mail_b = RecordingMailer(), RecordingMailer()
    try:
        a = OutboxDispatcher(database, mail_a, "instance-a", org.mail_key)
        b = OutboxDispatcher(second, mail_b, "instance-b", org.mail_key)
        sent = await asyncio.gather(a.dispatch_due(clock.now), b.dispatch_due(clock.now))
    finally:
        await second.dispose()

    recipients = [m.recipient for m in mail_a.sent + mail_b.sent]
    assert sorted(recipients) == sorted(f"p{i}@example.org" for i in range(40))
    assert sum(sent) == 40
    async with database.unit_of_work() as db:
        assert await db.scalar(select(func.count()).where(OutboxRow.sent_at.is_(None))) == 0


async def test_a_failed_send_is_retried_after_the_lease(database, org, clock):
    class FlakyMailer(RecordingMailer):
        fail = True

        async def send(self, mail):
            if self.fail:
                self.fail = False
                raise ConnectionError("smtp down")
            await super().send(mail)

    async with database.unit_of_work() as db:
        await enqueue(db, org.mail_key, "k", a_mail(), clock.now)
    mailer = FlakyMailer()
    dispatcher = OutboxDispatcher(database, mailer, "i", org.mail_key)
    assert await dispatcher.dispatch_due(clock.now) == 0
    assert await dispatcher.dispatch_due(clock.now + timedelta(minutes=1)) == 0  # still leased
    assert await dispatcher.dispatch_due(clock.now + timedelta(minutes=6)) == 1
    assert [m.recipient for m in mailer.sent] == ["a@example.org"]


async def test_reminders_go_out_a_day_and_an_hour_before_once_each(database, org, clock, settings):
    series_id = await seed_series(database, org, clock.now)
    await enrol_parent(database, org, series_id, "Mustikka", clock.now, email="m@example.org")
    await enrol_parent(database, org, series_id, "Hiljainen", clock.now)  # no address: no mail
    async with database.unit_of_work() as db:
        first_start = (await scheduling.get_series(db, series_id)).sessions[0].starts_at
    mailer = RecordingMailer()
    other_instance = RecordingMailer()
    elsewhere = Database(database.url)  # a second instance has its own connection pool
    work = BackgroundWork(database, settings, mailer, clock)
    work_elsewhere = BackgroundWork(elsewhere, settings, other_instance, clock)
    try:
        await work.run_once()  # the enrolment confirmation
        mailer.sent.clear()

        clock.now = first_start - timedelta(hours=23)
        await asyncio.gather(work.run_once(), work_elsewhere.run_once())
        clock.now = first_start - timedelta(hours=22)
        await work.run_once()
        clock.now = first_start - timedelta(minutes=50)
        await asyncio.gather(work.run_once(), work_elsewhere.run_once())
    finally:
        await elsewhere.dispose()

    reminders = mailer.sent + other_instance.sent  # nothing else is due in between
    assert [m.recipient for m in reminders] == ["m@example.org", "m@example.org"]
    assert "Testiryhmä" in reminders[0].subject
    assert "Yksi" in reminders[0].body  # the theme of the first session


async def test_coordinators_are_asked_once_to_decide_about_a_series_below_minimum(
    database, org, clock, settings
):
    async with database.unit_of_work() as db:
        await a_staff_member(db, clock.now)  # the coordinator
    series_id = await seed_series(database, org, clock.now, min_size=2)
    await enrol_parent(database, org, series_id, "Ainoa", clock.now)
    mailer = RecordingMailer()
    work = BackgroundWork(database, settings, mailer, clock)
    clock.advance(days=5, minutes=1)  # past the enrolment deadline
    await work.run_once()
    await work.run_once()

    decisions = [m for m in mailer.sent if m.recipient == "coordinator@example.org"]
    assert len(decisions) == 1
    assert "/staff/series/" in decisions[0].body
    async with database.unit_of_work() as db:
        flagged = await scheduling.series_needing_decision(db, clock.now)
    assert [s.id for s in flagged] == [series_id]
