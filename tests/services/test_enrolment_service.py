"""Enrolment against the real databases (SQLite and PostgreSQL through one fixture)."""

import asyncio

import pytest
from sqlalchemy import func, select

from server.enrolment import service as enrolment_service
from server.enrolment.service import EnrolmentRequest
from server.errors import ErrorCode, TupaError
from server.scheduling import service as scheduling
from server.storage.tables import EnrolmentRow, NoticeRow
from tests.factories import enrol_parent, seed_series
from tests.services.mail_support import queued


async def statuses(database, series_id):
    async with database.unit_of_work() as db:
        rows = await enrolment_service.enrolments_in(db, series_id)
        return {r.pseudonym: r.status for r in rows}


async def test_fourth_parent_is_waitlisted_when_capacity_is_three(database, org, clock):
    series_id = await seed_series(database, org, clock.now, capacity=3)
    for name in ("Mustikka", "Puolukka", "Lakka"):
        new = await enrol_parent(database, org, series_id, name, clock.now)
        assert new.waitlist_position is None
    fourth = await enrol_parent(database, org, series_id, "Karpalo", clock.now)

    assert fourth.waitlist_position == 1
    assert (await statuses(database, series_id))["Karpalo"] == "waitlisted"


async def test_cancelling_promotes_the_first_on_the_waiting_list_and_tells_them(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now, capacity=1, min_size=1)
    first = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    await enrol_parent(database, org, series_id, "Puolukka", clock.now, email="p@example.org")
    await enrol_parent(database, org, series_id, "Lakka", clock.now)

    async with database.unit_of_work() as db:
        await enrolment_service.withdraw(db, org, first.token, clock.now)

    assert await statuses(database, series_id) == {
        "Mustikka": "withdrawn",
        "Puolukka": "enrolled",
        "Lakka": "waitlisted",
    }
    async with database.unit_of_work() as db:
        kinds = list(await db.scalars(select(NoticeRow.kind).order_by(NoticeRow.id)))
        mails = await queued(db, org)
    assert "promoted" in kinds
    assert len(mails) == 2  # Puolukka's "waitlisted" and "promoted"; the others gave no address


async def test_same_pseudonym_twice_in_a_series_is_refused_case_insensitively(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    with pytest.raises(TupaError) as error:
        await enrol_parent(database, org, series_id, "mustikka", clock.now)
    assert error.value.code is ErrorCode.PSEUDONYM_TAKEN


async def test_withdrawn_pseudonym_can_be_used_again(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    first = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        await enrolment_service.withdraw(db, org, first.token, clock.now)
    again = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    assert again.enrolment.status == "enrolled"


async def test_revoked_personal_link_no_longer_opens_the_enrolment(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    new = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        await enrolment_service.revoke_link(db, series_id, new.enrolment.id, clock.now)
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as error:
            await enrolment_service.enrolment_by_token(db, new.token)
    assert error.value.code is ErrorCode.LINK_REVOKED


async def test_reissued_link_works_and_the_old_one_does_not(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    new = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        token = await enrolment_service.reissue_link(db, series_id, new.enrolment.id, clock.now)
    async with database.unit_of_work() as db:
        assert (await enrolment_service.enrolment_by_token(db, token)).pseudonym == "Mustikka"
        with pytest.raises(TupaError):
            await enrolment_service.enrolment_by_token(db, new.token)


async def test_only_the_hash_of_a_personal_link_is_stored(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    new = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        stored = await db.scalar(select(EnrolmentRow.token_hash))
    assert stored is not None and new.token not in stored and len(stored) == 64


async def test_enrolment_after_the_deadline_is_refused(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    clock.advance(days=6)
    with pytest.raises(TupaError) as error:
        await enrol_parent(database, org, series_id, "Myöhäinen", clock.now)
    assert error.value.code is ErrorCode.ENROLMENT_CLOSED


async def test_cancelling_a_series_ends_every_enrolment_and_tells_every_parent(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now, capacity=1, min_size=1)
    await enrol_parent(database, org, series_id, "Mustikka", clock.now, email="m@example.org")
    await enrol_parent(database, org, series_id, "Puolukka", clock.now, email="p@example.org")

    async with database.unit_of_work() as db:
        await scheduling.cancel_series(db, org, series_id, clock.now)

    assert set((await statuses(database, series_id)).values()) == {"cancelled"}
    async with database.unit_of_work() as db:
        cancelled = await db.scalar(
            select(func.count()).where(NoticeRow.kind == "series_cancelled")
        )
        series = await scheduling.get_series(db, series_id)
        mails = [m.recipient for m in await queued(db, org, "notice:%:series_cancelled:%")]
    assert cancelled == 2
    assert sorted(mails) == ["m@example.org", "p@example.org"]
    assert {s.status for s in series.sessions} == {"cancelled"}


async def test_moving_a_session_tells_enrolled_parents_and_bumps_the_calendar_sequence(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    await enrol_parent(database, org, series_id, "Mustikka", clock.now, email="m@example.org")
    async with database.unit_of_work() as db:
        session = (await scheduling.get_series(db, series_id)).sessions[1]
        moved = await scheduling.move_session(
            db,
            org,
            series_id,
            session.id,
            session.starts_at.date(),
            session.starts_at.time().replace(hour=10),
            clock.now,
        )
        sequence = moved.calendar_sequence
    async with database.unit_of_work() as db:
        notice = await db.scalar(select(NoticeRow).where(NoticeRow.kind == "session_moved"))
        [moved_mail] = await queued(db, org, "%session_moved%")
        body = moved_mail.body
    assert sequence == 1
    assert notice is not None and "old_start" in notice.params
    assert body is not None and "Mustikka" in body


async def test_last_seat_race_admits_exactly_one(database, org, clock):
    """Parents submitting at the same moment for the last seat: one seat, the rest wait in line."""
    series_id = await seed_series(database, org, clock.now, capacity=2, min_size=1)
    await enrol_parent(database, org, series_id, "Ensimmäinen", clock.now)
    racers = 8

    async def warm_connection():
        async with database.sessions() as db:
            await db.execute(select(1))
            await asyncio.sleep(0.05)

    # Open the connections first so that every racer starts its transaction at the same moment.
    await asyncio.gather(*(warm_connection() for _ in range(racers)))

    async def racer(name: str):
        async with database.unit_of_work() as db:
            return await enrolment_service.enrol(
                db, org, series_id, EnrolmentRequest(name), clock.now
            )

    results = await asyncio.gather(*(racer(f"Kilpailija {i}") for i in range(racers)))

    assert sorted(r.waitlist_position or 0 for r in results) == list(range(racers))
    assert list((await statuses(database, series_id)).values()).count("enrolled") == 2
