"""Placing an intake's waiting list into its groups' free seats after composing (both
databases): waiting parents move with their pseudonym, answers and personal link, in
waiting-list order unless chosen, are told as when composed, and two coordinators placing the
last seat give one placement and one stable refusal."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from server.enrolment import bans
from server.enrolment import service as enrolment_service
from server.enrolment.service import NewEnrolment
from server.errors import ErrorCode, TupaError
from server.scheduling import intake_places
from server.storage.tables import EnrolmentRow, NoticeRow
from tests.services.intake_support import compose_now, enrol, open_intake
from tests.services.mail_support import queued


async def intake_with_waiting(
    database, org, clock, waiting: int
) -> tuple[int, int, list[NewEnrolment]]:
    """Four seated parents composed into one group of six; ``waiting`` more on the waiting list."""
    intake_id = await open_intake(database, clock.now, capacity=4)
    for name in ("Puolukka", "Lakka", "Karpalo", "Vadelma"):
        await enrol(database, org, intake_id, name, clock.now)
    line = []
    for i in range(waiting):
        email = "odottaja0@example.org" if i == 0 else None
        line.append(await enrol(database, org, intake_id, f"Odottaja {i}", clock.now, email))
    (group_id,) = await compose_now(database, org, intake_id, clock.now, capacity=6)
    return intake_id, group_id, line


async def test_the_first_on_the_waiting_list_fill_a_groups_free_seats_keeping_their_link(
    database, org, clock
):
    intake_id, group_id, line = await intake_with_waiting(database, org, clock, waiting=3)
    async with database.unit_of_work() as db:
        seats = await intake_places.free_seats(db, intake_id)
    assert [(s.group.id, s.free) for s in seats] == [(group_id, 2)]

    later = clock.advance(hours=2)
    async with database.unit_of_work() as db:
        placed = await intake_places.place(db, org, intake_id, group_id, None, later)
    assert [r.id for r in placed] == [line[0].enrolment.id, line[1].enrolment.id]

    async with database.unit_of_work() as db:
        rows = {r.pseudonym: r for r in await db.scalars(select(EnrolmentRow))}
        for new in line[:2]:
            row = rows[new.enrolment.pseudonym]
            assert (row.series_id, row.status, row.updated_at) == (group_id, "enrolled", later)
            assert row.answers == new.enrolment.answers
            by_link = await enrolment_service.enrolment_by_token(db, new.token)
            assert by_link.id == row.id
        third = rows["Odottaja 2"]
        assert (third.series_id, third.status) == (intake_id, "waitlisted")
        assert await enrolment_service.waitlist_position(db, third) == 1
        kinds = list(
            await db.scalars(
                select(NoticeRow.kind)
                .where(NoticeRow.enrolment_id == line[0].enrolment.id)
                .order_by(NoticeRow.id)
            )
        )
        mails = await queued(db, org, f"notice:{line[0].enrolment.id}:placed:%")
        assert [(s.group.id, s.free) for s in await intake_places.free_seats(db, intake_id)] == [
            (group_id, 0)
        ]
    assert kinds == ["waitlisted", "not_placed", "placed"]
    assert len(mails) == 1 and "Ryhmä 1" in mails[0].body


async def test_a_coordinator_may_choose_whom_to_place_out_of_order(database, org, clock):
    intake_id, group_id, line = await intake_with_waiting(database, org, clock, waiting=3)
    chosen = [line[2].enrolment.id]
    async with database.unit_of_work() as db:
        placed = await intake_places.place(db, org, intake_id, group_id, chosen, clock.now)
    assert [r.pseudonym for r in placed] == ["Odottaja 2"]
    async with database.unit_of_work() as db:
        first = await db.get(EnrolmentRow, line[0].enrolment.id)
        assert first is not None and first.status == "waitlisted"


async def test_more_chosen_than_seats_or_someone_no_longer_waiting_is_refused_unchanged(
    database, org, clock
):
    intake_id, group_id, line = await intake_with_waiting(database, org, clock, waiting=3)
    every = [n.enrolment.id for n in line]
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as error:
            await intake_places.place(db, org, intake_id, group_id, every, clock.now)
    assert error.value.code is ErrorCode.PLACES_CHANGED
    async with database.unit_of_work() as db:
        await enrolment_service.withdraw(db, org, line[1].token, clock.now)
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as error:
            await intake_places.place(db, org, intake_id, group_id, every[:2], clock.now)
    assert error.value.code is ErrorCode.PLACES_CHANGED
    async with database.unit_of_work() as db:
        in_group = select(EnrolmentRow).where(EnrolmentRow.series_id == group_id)
        rows = list(await db.scalars(in_group))
    assert len(rows) == 4


async def test_a_group_of_another_intake_is_not_found(database, org, clock):
    intake_id, _, _ = await intake_with_waiting(database, org, clock, waiting=1)
    _, other_group, _ = await intake_with_waiting(database, org, clock, waiting=0)
    async with database.unit_of_work() as db:
        with pytest.raises(TupaError) as error:
            await intake_places.place(db, org, intake_id, other_group, None, clock.now)
    assert error.value.code is ErrorCode.NOT_FOUND


async def test_a_waiting_parent_whose_address_is_banned_in_the_group_is_held_not_seated(
    database, org, clock
):
    intake_id, group_id, _ = await intake_with_waiting(database, org, clock, waiting=1)
    async with database.unit_of_work() as db:
        # Banned in the group under another name: the same address waits in the intake.
        group_row = await db.scalar(
            select(EnrolmentRow).where(EnrolmentRow.series_id == group_id).limit(1)
        )
        assert group_row is not None
        group_row.email = "ODOTTAJA0@example.org"
        await db.flush()
        await bans.ban(db, org, group_id, group_row.id, clock.now, "Kaisa")
    async with database.unit_of_work() as db:
        placed = await intake_places.place(db, org, intake_id, group_id, None, clock.now)
    assert [(r.pseudonym, r.status) for r in placed] == [("Odottaja 0", "pending_review")]
    async with database.unit_of_work() as db:
        held = await bans.held_in(db, group_id)
    assert [h.enrolment.pseudonym for h in held] == ["Odottaja 0"]


async def test_two_coordinators_placing_the_last_seat_place_one_and_refuse_the_other(
    database, org, clock
):
    intake_id, group_id, line = await intake_with_waiting(database, org, clock, waiting=4)
    async with database.unit_of_work() as db:
        await intake_places.place(db, org, intake_id, group_id, None, clock.now, limit=1)
    racers = [line[1].enrolment.id, line[2].enrolment.id, line[3].enrolment.id]

    async def warm_connection():
        async with database.sessions() as db:
            await db.execute(select(1))
            await asyncio.sleep(0.05)

    await asyncio.gather(*(warm_connection() for _ in racers))

    async def racer(enrolment_id: int) -> str:
        try:
            async with database.unit_of_work() as db:
                await intake_places.place(db, org, intake_id, group_id, [enrolment_id], clock.now)
        except TupaError as error:
            return error.code.value
        return "placed"

    results = await asyncio.gather(*(racer(i) for i in racers))

    assert sorted(results) == ["placed", "places_changed", "places_changed"]
    async with database.unit_of_work() as db:
        in_group = list(
            await db.scalars(select(EnrolmentRow.status).where(EnrolmentRow.series_id == group_id))
        )
    assert in_group.count("enrolled") == 6
