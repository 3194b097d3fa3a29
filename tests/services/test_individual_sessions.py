"""Individual times against the real databases (SQLite and PostgreSQL through one fixture):
offered by staff, booked, moved and cancelled by one parent, raced, reminded and shut."""

import asyncio
from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.access import AccessChange, AccessReason
from server.enrolment import service as enrolment_service
from server.errors import ErrorCode, TupaError
from server.people.roles import Role
from server.scheduling import individual
from server.scheduling.reminders import enqueue_due_reminders
from server.storage.tables import EnrolmentRow, OutboxRow, SeriesRow, SessionRow
from tests.factories import a_staff_member, enrol_parent, seed_series
from tests.services.mail_support import queued


async def offered(database, org, series_id, now, days: int, at: time = time(16, 0)) -> int:
    async with database.unit_of_work() as db:
        day: date = (now + timedelta(days=days)).date()
        return (await individual.offer_time(db, org, series_id, day, at, 45, now)).id


async def enrolment(database, token: str) -> EnrolmentRow:
    async with database.unit_of_work() as db:
        return await enrolment_service.enrolment_by_token(db, token)


async def holder(database, session_id: int) -> int | None:
    async with database.unit_of_work() as db:
        session = await db.get(SessionRow, session_id)
        assert session is not None
        return session.booked_enrolment_id


def recorded(database) -> list[Any]:
    """What units of work hand to the rooms after commit."""
    told: list[Any] = []

    async def listener(items: list[Any]) -> None:
        told.extend(items)

    database.on_commit(listener)
    return told


async def test_an_offered_time_is_stored_in_utc_and_stays_out_of_the_group_sessions(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    time_id = await offered(database, org, series_id, clock.now, 3, time(16, 0))
    async with database.unit_of_work() as db:
        series = await db.get(SeriesRow, series_id)
        session = await db.get(SessionRow, time_id)
        assert session is not None and series is not None
        local = session.starts_at.astimezone(org.zone)
        assert (local.hour, local.minute) == (16, 0)
        assert session.kind == "individual" and session.media_mode == "chat"
        assert time_id not in [s.id for s in series.sessions]
        assert len(series.sessions) == 4


async def test_a_parent_books_moves_and_cancels_and_the_room_is_told_each_release(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    first, second = [await offered(database, org, series_id, clock.now, d) for d in (2, 3)]
    mira = await enrolment(
        database, (await enrol_parent(database, org, series_id, "Mira", clock.now)).token
    )
    told = recorded(database)

    async with database.unit_of_work() as db:
        await individual.book(db, org, mira, first, clock.now)
    assert await holder(database, first) == mira.id
    assert told == []  # nobody was shut out by a booking

    async with database.unit_of_work() as db:
        await individual.move(db, org, mira, first, second, clock.now)
    assert (await holder(database, first), await holder(database, second)) == (None, mira.id)
    assert told == [
        AccessChange(AccessReason.BOOKING_ENDED, session_id=first, enrolment_id=mira.id)
    ]

    async with database.unit_of_work() as db:
        await individual.cancel(db, org, mira, second, clock.now)
    assert await holder(database, second) is None
    assert told[-1] == AccessChange(
        AccessReason.BOOKING_ENDED, session_id=second, enrolment_id=mira.id
    )
    async with database.unit_of_work() as db:
        kinds = [n.kind for n in await enrolment_service.notices_for(db, mira)]
    assert {"individual_booked", "individual_moved", "individual_cancelled"} <= set(kinds)


async def test_one_booking_at_a_time_unless_the_facilitator_allows_more(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    first, second = [await offered(database, org, series_id, clock.now, d) for d in (2, 3)]
    mira = await enrolment(
        database, (await enrol_parent(database, org, series_id, "Mira", clock.now)).token
    )
    async with database.unit_of_work() as db:
        await individual.book(db, org, mira, first, clock.now)
    with pytest.raises(TupaError) as error:
        async with database.unit_of_work() as db:
            await individual.book(db, org, mira, second, clock.now)
    assert error.value.code is ErrorCode.BOOKING_LIMIT

    async with database.unit_of_work() as db:
        await individual.set_limit(db, series_id, 2)
    async with database.unit_of_work() as db:
        await individual.book(db, org, mira, second, clock.now)
    assert await holder(database, second) == mira.id


async def test_a_time_booked_by_another_parent_is_refused_and_a_past_one_too(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    time_id = await offered(database, org, series_id, clock.now, 1)
    mira = await enrolment(
        database, (await enrol_parent(database, org, series_id, "Mira", clock.now)).token
    )
    onni = await enrolment(
        database, (await enrol_parent(database, org, series_id, "Onni", clock.now)).token
    )
    async with database.unit_of_work() as db:
        await individual.book(db, org, mira, time_id, clock.now)
    for who, later, code in ((onni, 0, ErrorCode.TIME_TAKEN), (mira, 3, ErrorCode.SESSION_IN_PAST)):
        with pytest.raises(TupaError) as error:
            async with database.unit_of_work() as db:
                await individual.cancel(
                    db, org, who, time_id, clock.now + timedelta(days=later)
                ) if (who is mira) else await individual.book(db, org, who, time_id, clock.now)
        assert error.value.code is code
    assert await holder(database, time_id) == mira.id


async def test_a_time_freed_by_an_ended_enrolment_can_be_booked_again(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    time_id = await offered(database, org, series_id, clock.now, 2)
    mira_new = await enrol_parent(database, org, series_id, "Mira", clock.now)
    mira = await enrolment(database, mira_new.token)
    onni = await enrolment(
        database, (await enrol_parent(database, org, series_id, "Onni", clock.now)).token
    )
    async with database.unit_of_work() as db:
        await individual.book(db, org, mira, time_id, clock.now)
    async with database.unit_of_work() as db:
        await enrolment_service.withdraw(db, org, mira_new.token, clock.now)
    async with database.unit_of_work() as db:
        free = await individual.times_for_parent(db, onni, clock.now)
        assert [s.id for s in free.free] == [time_id]
        await individual.book(db, org, onni, time_id, clock.now)
    assert await holder(database, time_id) == onni.id


async def test_two_parents_racing_for_one_time_one_wins(database, org, clock):
    """Parents pressing "book" at the same moment: the series lock lets exactly one have it."""
    series_id = await seed_series(database, org, clock.now, capacity=8)
    time_id = await offered(database, org, series_id, clock.now, 2)
    racers = [
        await enrolment(
            database,
            (await enrol_parent(database, org, series_id, f"Kilpailija {i}", clock.now)).token,
        )
        for i in range(6)
    ]

    async def warm_connection():
        async with database.sessions() as db:
            await db.execute(select(1))
            await asyncio.sleep(0.05)

    await asyncio.gather(*(warm_connection() for _ in racers))

    async def racer(parent: EnrolmentRow) -> str:
        try:
            async with database.unit_of_work() as db:
                await individual.book(db, org, parent, time_id, clock.now)
        except TupaError as error:
            return error.code.value
        return "booked"

    results = await asyncio.gather(*(racer(p) for p in racers))

    assert sorted(results) == ["booked"] + ["time_taken"] * 5
    winner = racers[results.index("booked")]
    assert await holder(database, time_id) == winner.id


async def test_one_parent_racing_two_bookings_stays_within_the_limit(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    times = [await offered(database, org, series_id, clock.now, d) for d in (2, 3, 4)]
    mira = await enrolment(
        database, (await enrol_parent(database, org, series_id, "Mira", clock.now)).token
    )

    async def racer(time_id: int) -> str:
        try:
            async with database.unit_of_work() as db:
                await individual.book(db, org, mira, time_id, clock.now)
        except TupaError as error:
            return error.code.value
        return "booked"

    results = await asyncio.gather(*(racer(t) for t in times))
    assert sorted(results) == ["booked", "booking_limit", "booking_limit"]


async def test_the_reminder_of_a_booked_time_goes_to_its_parent_only(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    time_id = await offered(database, org, series_id, clock.now, 1, time(12, 0))
    mira = await enrolment(
        database,
        (await enrol_parent(database, org, series_id, "Mira", clock.now, "mira@example.org")).token,
    )
    await enrol_parent(database, org, series_id, "Onni", clock.now, "onni@example.org")
    async with database.unit_of_work() as db:
        await individual.book(db, org, mira, time_id, clock.now)
    async with database.unit_of_work() as db:
        session = await db.get(SessionRow, time_id)
        assert session is not None
        soon = session.starts_at - timedelta(minutes=30)
        await enqueue_due_reminders(db, org, [60], soon)
        keys = list(
            await db.scalars(select(OutboxRow.dedupe_key).where(OutboxRow.template == "reminder"))
        )
    assert keys == [f"reminder:{time_id}:{mira.id}:60:{session.starts_at.isoformat()}"]


async def test_withdrawing_a_booked_time_tells_its_parent_and_ends_its_room(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    time_id = await offered(database, org, series_id, clock.now, 2)
    mira = await enrolment(
        database, (await enrol_parent(database, org, series_id, "Mira", clock.now)).token
    )
    async with database.unit_of_work() as db:
        await individual.book(db, org, mira, time_id, clock.now)
    told = recorded(database)
    async with database.unit_of_work() as db:
        await individual.withdraw_time(db, org, series_id, time_id, clock.now)
        notices = await enrolment_service.notices_for(db, mira)
    assert told == [AccessChange(AccessReason.SESSION_CANCELLED, session_id=time_id)]
    assert "session_cancelled" in [n.kind for n in notices]


async def test_the_series_facilitators_are_mailed_when_a_parent_books_or_moves(
    database, org, clock
):
    async with database.unit_of_work() as db:
        facilitator = await a_staff_member(db, clock.now, Role.FACILITATOR, email="f@example.org")
        volunteer = await a_staff_member(db, clock.now, Role.VOLUNTEER, email="v@example.org")
    series_id = await seed_series(
        database, org, clock.now, staff_ids=[facilitator.id, volunteer.id]
    )
    first, second = [await offered(database, org, series_id, clock.now, d) for d in (2, 3)]
    mira = await enrolment(
        database, (await enrol_parent(database, org, series_id, "Mira", clock.now)).token
    )
    async with database.unit_of_work() as db:
        await individual.book(db, org, mira, first, clock.now)
    clock.advance(minutes=1)
    async with database.unit_of_work() as db:
        await individual.move(db, org, mira, first, second, clock.now)
        mails = await queued(db, org, "individual:%")
    assert [m.recipient for m in mails] == ["f@example.org", "f@example.org"]  # no volunteer
    assert "Mira" in mails[0].body and "/individual" in mails[0].body
    assert "16.00" in mails[1].body  # the times in Helsinki time
