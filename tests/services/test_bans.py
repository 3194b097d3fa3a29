"""Bans hold: they end the enrolment, free the seat, are logged and can be lifted; a new
enrolment with a banned e-mail address waits for a coordinator (both databases)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.access import AccessChange, AccessReason
from server.enrolment import bans
from server.enrolment import service as enrolment_service
from server.errors import ErrorCode, TupaError
from server.evaluation.attendance_sheet import EvaluationRules, attendance_sheet
from server.scheduling import service as scheduling
from server.storage.tables import (
    EnrolmentRow,
    ModerationLogRow,
    NoticeRow,
    PresenceRow,
    RoomMemberRow,
    RoomRow,
    SeriesBanRow,
    SessionRow,
)
from tests.factories import enrol_parent, seed_series


async def statuses(database, series_id):
    async with database.unit_of_work() as db:
        rows = await enrolment_service.enrolments_in(db, series_id)
        return {r.pseudonym: r.status for r in rows}


def record_commits(database):
    committed = []

    async def listener(items):
        committed.extend(items)

    database.on_commit(listener)
    return committed


async def ban_as_coordinator(database, org, series_id, enrolment_id, now, **kwargs):
    async with database.unit_of_work() as db:
        return await bans.ban(db, org, series_id, enrolment_id, now, "Kaisa", **kwargs)


async def test_a_ban_frees_the_seat_and_promotes_the_first_on_the_waiting_list(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now, capacity=1, min_size=1)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    await enrol_parent(database, org, series_id, "Puolukka", clock.now)
    await enrol_parent(database, org, series_id, "Lakka", clock.now)

    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now)

    assert await statuses(database, series_id) == {
        "Mustikka": "banned",
        "Puolukka": "enrolled",
        "Lakka": "waitlisted",
    }
    async with database.unit_of_work() as db:
        notices = {
            (n.enrolment_id, n.kind)
            for n in await db.scalars(select(NoticeRow).where(NoticeRow.kind != "enrolled"))
        }
    assert (banned.enrolment.id, "banned") in notices
    assert any(kind == "promoted" for _, kind in notices)


async def test_a_ban_records_who_banned_whom_when_and_in_which_session_and_is_logged(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        session_id = await db.scalar(select(SessionRow.id).where(SessionRow.series_id == series_id))
    committed = record_commits(database)

    await ban_as_coordinator(
        database, org, series_id, banned.enrolment.id, clock.now, session_id=session_id
    )

    async with database.unit_of_work() as db:
        listed = await bans.bans_in(db, series_id)
        log = list(await db.scalars(select(ModerationLogRow)))
        assert await enrolment_service.is_banned(db, series_id, banned.enrolment.id)
    assert [(b.pseudonym, b.by_name, b.created_at) for b in listed] == [
        ("Mustikka", "Kaisa", clock.now)
    ]
    assert listed[0].session is not None and listed[0].session.id == session_id
    assert [(e.actor_name, e.actor_role, e.action, e.target_name) for e in log] == [
        ("Kaisa", "coordinator", "banned", "Mustikka")
    ]
    assert committed == [
        AccessChange(AccessReason.BANNED, series_id=series_id, enrolment_id=banned.enrolment.id)
    ]


async def test_banning_twice_changes_nothing_the_second_time(database, org, clock):
    series_id = await seed_series(database, org, clock.now, capacity=1, min_size=1)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    await enrol_parent(database, org, series_id, "Puolukka", clock.now)
    await enrol_parent(database, org, series_id, "Lakka", clock.now)
    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now)
    committed = record_commits(database)

    await ban_as_coordinator(
        database, org, series_id, banned.enrolment.id, clock.now + timedelta(minutes=1)
    )

    assert (await statuses(database, series_id))["Lakka"] == "waitlisted"
    async with database.unit_of_work() as db:
        assert len(list(await db.scalars(select(ModerationLogRow)))) == 1
        assert len(list(await db.scalars(select(SeriesBanRow)))) == 1
    assert committed == []


async def test_a_ban_given_in_a_room_leaves_the_log_and_the_announcement_to_the_room(
    database, org, clock
):
    # The room's own ban event is logged by the room and reaches every instance on the bus;
    # announcing it again from inside the room's writer would wait on that very writer.
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    committed = record_commits(database)

    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now, by_room=True)

    async with database.unit_of_work() as db:
        assert list(await db.scalars(select(ModerationLogRow))) == []
        assert await enrolment_service.is_banned(db, series_id, banned.enrolment.id)
    assert committed == []
    assert (await statuses(database, series_id))["Mustikka"] == "banned"


async def test_a_parent_who_withdrew_can_still_be_banned(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        await enrolment_service.withdraw(db, org, banned.token, clock.now)

    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now)

    assert await statuses(database, series_id) == {"Mustikka": "banned"}


async def test_banning_an_enrolment_of_another_series_is_not_found(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    other_id = await seed_series(database, org, clock.now)
    elsewhere = await enrol_parent(database, org, other_id, "Mustikka", clock.now)
    with pytest.raises(TupaError) as error:
        await ban_as_coordinator(database, org, series_id, elsewhere.enrolment.id, clock.now)
    assert error.value.code is ErrorCode.NOT_FOUND


async def test_lifting_a_ban_keeps_the_enrolment_ended_and_lets_the_parent_enrol_again(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(
        database, org, series_id, "Mustikka", clock.now, email="mira@example.org"
    )
    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now)
    committed = record_commits(database)

    async with database.unit_of_work() as db:
        await bans.lift_ban(
            db, series_id, banned.enrolment.id, clock.now, "Fanni", by_role="facilitator"
        )

    async with database.unit_of_work() as db:
        assert await bans.bans_in(db, series_id) == []
        assert not await enrolment_service.is_banned(db, series_id, banned.enrolment.id)
        log = [
            (e.actor_name, e.actor_role, e.action, e.target_name, e.session_id)
            for e in await db.scalars(select(ModerationLogRow).order_by(ModerationLogRow.id))
        ]
    assert log[-1] == ("Fanni", "facilitator", "unbanned", "Mustikka", None)
    assert committed == [
        AccessChange(AccessReason.UNBANNED, series_id=series_id, enrolment_id=banned.enrolment.id)
    ]
    assert (await statuses(database, series_id))["Mustikka"] == "removed"
    again = await enrol_parent(
        database, org, series_id, "Mira", clock.now, email="mira@example.org"
    )
    assert again.enrolment.status == "enrolled"


async def test_an_enrolment_with_a_banned_address_in_another_case_is_held_without_a_seat(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now, capacity=3)
    banned = await enrol_parent(
        database, org, series_id, "Mustikka", clock.now, email="Mira@Example.org"
    )
    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now)

    held = await enrol_parent(
        database, org, series_id, "Uusi nimi", clock.now, email="  mira@EXAMPLE.ORG "
    )

    assert held.enrolment.status == "pending_review"
    assert held.waitlist_position is None
    async with database.unit_of_work() as db:
        series = await scheduling.get_series(db, series_id)
        occupancy = await enrolment_service.occupancy(db, series)
        kinds = list(
            await db.scalars(
                select(NoticeRow.kind).where(NoticeRow.enrolment_id == held.enrolment.id)
            )
        )
        waiting = await bans.held_in(db, series_id)
    assert (occupancy.enrolled, occupancy.waitlisted) == (0, 0)
    assert kinds == ["received"]
    assert [(h.enrolment.pseudonym, h.matches) for h in waiting] == [("Uusi nimi", ["Mustikka"])]


async def test_an_address_banned_in_another_series_is_not_held(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    other_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, other_id, "Mustikka", clock.now, email="m@ex.org")
    await ban_as_coordinator(database, org, other_id, banned.enrolment.id, clock.now)

    new = await enrol_parent(database, org, series_id, "Mustikka", clock.now, email="m@ex.org")

    assert new.enrolment.status == "enrolled"


async def test_an_accepted_held_enrolment_gets_a_free_seat_or_else_a_waiting_place(
    database, org, clock
):
    series_id = await seed_series(database, org, clock.now, capacity=1, min_size=1)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now, email="m@ex.org")
    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now)
    first = await enrol_parent(database, org, series_id, "Eka", clock.now, email="M@ex.org")
    second = await enrol_parent(database, org, series_id, "Toka", clock.now, email="m@EX.org")

    async with database.unit_of_work() as db:
        await bans.accept_held(db, org, series_id, first.enrolment.id, clock.now)
    async with database.unit_of_work() as db:
        await bans.accept_held(db, org, series_id, second.enrolment.id, clock.now)
    async with database.unit_of_work() as db:
        kinds = list(
            await db.scalars(
                select(NoticeRow.kind)
                .where(NoticeRow.enrolment_id == second.enrolment.id)
                .order_by(NoticeRow.id)
            )
        )

    assert await statuses(database, series_id) == {
        "Mustikka": "banned",
        "Eka": "enrolled",
        "Toka": "waitlisted",
    }
    assert kinds == ["received", "waitlisted"]


async def test_a_refused_held_enrolment_ends_and_the_parent_is_told(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now, email="m@ex.org")
    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now)
    held = await enrol_parent(database, org, series_id, "Eka", clock.now, email="m@ex.org")

    async with database.unit_of_work() as db:
        await bans.refuse_held(db, org, series_id, held.enrolment.id, clock.now)

    assert (await statuses(database, series_id))["Eka"] == "refused"
    async with database.unit_of_work() as db:
        assert await bans.held_in(db, series_id) == []
        kinds = list(
            await db.scalars(
                select(NoticeRow.kind).where(NoticeRow.enrolment_id == held.enrolment.id)
            )
        )
        with pytest.raises(TupaError) as error:
            await bans.accept_held(db, org, series_id, held.enrolment.id, clock.now)
    assert kinds == ["received", "refused"]
    assert error.value.code is ErrorCode.ALREADY_WITHDRAWN


async def test_a_held_pseudonym_is_not_given_to_someone_else(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now, email="m@ex.org")
    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, clock.now)
    await enrol_parent(database, org, series_id, "Eka", clock.now, email="m@ex.org")
    with pytest.raises(TupaError) as error:
        await enrol_parent(database, org, series_id, "eka", clock.now)
    assert error.value.code is ErrorCode.PSEUDONYM_TAKEN


async def test_a_banned_parent_who_attended_still_counts_in_the_evaluation(database, org, clock):
    series_id = await seed_series(database, org, clock.now)
    banned = await enrol_parent(database, org, series_id, "Mustikka", clock.now)
    async with database.unit_of_work() as db:
        session = await db.scalar(
            select(SessionRow).where(SessionRow.series_id == series_id).order_by(SessionRow.id)
        )
        start, end = session.starts_at, session.starts_at + timedelta(minutes=90)
        db.add(RoomRow(session_id=session.id, status="ended", opened_at=start, ended_at=end))
        member = RoomMemberRow(
            session_id=session.id,
            peer="p-mustikka",
            enrolment_id=banned.enrolment.id,
            name="Mustikka",
            role="parent",
            status="banned",
            created_at=start,
        )
        db.add(member)
        await db.flush()
        db.add(PresenceRow(member_id=member.id, joined_at=start, left_at=end))

    await ban_as_coordinator(database, org, series_id, banned.enrolment.id, end)

    async with database.unit_of_work() as db:
        sheet = await attendance_sheet(db, series_id, EvaluationRules())
        status = await db.scalar(
            select(EnrolmentRow.status).where(EnrolmentRow.id == banned.enrolment.id)
        )
    assert status == "banned"
    assert sheet.cohort().enrolled == (banned.enrolment.id,)
    assert sheet.cohort().attendance == {(banned.enrolment.id, session.id)}
