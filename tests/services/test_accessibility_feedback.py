"""Accessibility feedback in storage, on SQLite and PostgreSQL: how often one address may send it,
whom it tells, and that handled feedback, contact and all, goes after its set lifetime."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.accessibility import feedback
from server.accessibility.feedback_rules import FeedbackDraft, SendingLimit
from server.accessibility.sending_limit import SendCounter
from server.background import BackgroundWork
from server.errors import ErrorCode, TupaError
from server.people import deactivation
from server.people.roles import Role
from server.storage.tables import AccessibilityFeedbackRow, FormSendCountRow, OutboxRow
from tests.conftest import RecordingMailer
from tests.factories import a_staff_member

COUNTER = SendCounter(SendingLimit(sends=2, window=timedelta(hours=1)), b"k" * 32)


async def send(database, org, clock, text="Palaute", address="192.0.2.1", contact=None):
    async with database.unit_of_work() as db:
        await feedback.send(
            db, org, COUNTER, address, FeedbackDraft(text, contact), "fi", "fi", clock.now
        )


async def rows(database, table):
    async with database.unit_of_work() as db:
        return list(await db.scalars(select(table)))


async def test_an_address_past_its_limit_is_refused_and_nothing_of_it_is_stored(
    database, org, clock
):
    await send(database, org, clock, "Yksi")
    await send(database, org, clock, "Kaksi")
    with pytest.raises(TupaError) as refused:
        await send(database, org, clock, "Kolme")
    await send(database, org, clock, "Toiselta", address="192.0.2.2")

    assert refused.value.code is ErrorCode.TOO_MANY_SENDS
    assert sorted(r.text for r in await rows(database, AccessibilityFeedbackRow)) == [
        "Kaksi",
        "Toiselta",
        "Yksi",
    ]
    counts = await rows(database, FormSendCountRow)
    assert all("192.0.2" not in c.key_hash for c in counts)  # keyed hashes, no address


async def test_the_count_clears_an_hour_after_the_latest_send(database, org, clock):
    await send(database, org, clock)
    await send(database, org, clock)
    clock.advance(minutes=61)

    await send(database, org, clock)
    await send(database, org, clock)

    assert len(await rows(database, AccessibilityFeedbackRow)) == 4


async def test_active_coordinators_are_told_at_most_once_an_hour(database, org, clock):
    async with database.unit_of_work() as db:
        kaisa = await a_staff_member(db, clock.now, email="kaisa@example.org")
        left = await a_staff_member(db, clock.now, email="left@example.org")
        await a_staff_member(db, clock.now, Role.FACILITATOR)
        await deactivation.deactivate(db, left.id, clock.now)

    await send(database, org, clock, address="192.0.2.1")
    await send(database, org, clock, address="192.0.2.2")
    clock.advance(hours=1)
    await send(database, org, clock, address="192.0.2.3")

    keys = sorted(o.dedupe_key for o in await rows(database, OutboxRow))
    assert keys == [
        f"accessibility_feedback:{kaisa.id}:2026-10-12T09",
        f"accessibility_feedback:{kaisa.id}:2026-10-12T10",
    ]


async def test_handled_feedback_goes_its_set_number_of_days_after_it_was_handled(
    database, org, clock, settings
):
    async with database.unit_of_work() as db:
        coordinator = await a_staff_member(db, clock.now)
    await send(database, org, clock, "Käsitelty", contact="0401234567")
    await send(database, org, clock, "Odottaa", address="192.0.2.2")
    [handled] = [r for r in await rows(database, AccessibilityFeedbackRow) if r.text == "Käsitelty"]
    async with database.unit_of_work() as db:
        await feedback.mark_handled(db, handled.id, coordinator.id, clock.now)
        await feedback.mark_handled(db, handled.id, coordinator.id, clock.now + timedelta(days=1))
    work = BackgroundWork(
        database,
        settings.model_copy(update={"accessibility_feedback_days": 30}),
        RecordingMailer(),
        clock,
    )

    clock.advance(days=30, seconds=-1)
    await work.run_once()
    assert len(await rows(database, AccessibilityFeedbackRow)) == 2
    clock.advance(seconds=1)
    await work.run_once()

    [left] = await rows(database, AccessibilityFeedbackRow)
    assert left.text == "Odottaa" and left.handled_at is None  # unhandled feedback stays
    async with database.unit_of_work() as db:
        assert await feedback.unhandled_count(db) == 1


async def test_feedback_nobody_handles_goes_a_year_after_it_arrived_contact_and_all(
    database, org, clock, settings
):
    await send(database, org, clock, "Kukaan ei vastannut", contact="0401234567")
    work = BackgroundWork(database, settings, RecordingMailer(), clock)

    clock.advance(days=feedback.UNHANDLED_KEPT_DAYS, seconds=-1)
    await work.run_once()
    assert len(await rows(database, AccessibilityFeedbackRow)) == 1
    clock.advance(seconds=1)
    await work.run_once()

    assert await rows(database, AccessibilityFeedbackRow) == []
