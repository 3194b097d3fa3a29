"""Attendance is recorded from the live rooms; staff can correct it, and corrections are logged."""

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.errors import ErrorCode, TupaError
from server.evaluation.attendance_sheet import (
    EvaluationRules,
    attendance_corrections,
    attendance_sheet,
    correct_attendance,
)
from server.storage.tables import EnrolmentRow, PresenceRow, StaffRow
from tests.rooms.support import open_room_with_parents


async def wait_until_left(database, count):
    """Closing a socket is noticed by the server a moment later."""
    for _ in range(100):
        async with database.unit_of_work() as db:
            rows = list(
                await db.scalars(select(PresenceRow).where(PresenceRow.left_at.is_not(None)))
            )
        if len(rows) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("presence was never closed")


async def pseudonym_ids(database, series_id):
    async with database.unit_of_work() as db:
        rows = await db.scalars(select(EnrolmentRow).where(EnrolmentRow.series_id == series_id))
        return {e.pseudonym: e.id for e in rows}


async def test_parent_present_for_most_of_the_session_attended_and_one_who_left_early_did_not(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    clock.advance(minutes=30)  # 20 minutes into the 90-minute session
    await parents["Puolukka"].close()
    await wait_until_left(live_server.database, 1)
    clock.advance(minutes=70)  # the scheduled end
    await facilitator.send(type="end")
    await parents["Mustikka"].closed_with()
    await wait_until_left(live_server.database, 3)

    ids = await pseudonym_ids(live_server.database, room.series_id)
    async with live_server.database.unit_of_work() as db:
        sheet = await attendance_sheet(db, room.series_id, EvaluationRules())
    held = [s.session.id for s in sheet.sessions if s.held]
    assert held == [room.session_id]
    mustikka = sheet.cells[(ids["Mustikka"], room.session_id)]
    puolukka = sheet.cells[(ids["Puolukka"], room.session_id)]
    assert mustikka.present.total_seconds() == 90 * 60 and mustikka.mark.counts
    assert puolukka.present.total_seconds() == 20 * 60 and not puolukka.mark.counts
    cohort = sheet.cohort()
    assert cohort.attendance == {(ids["Mustikka"], room.session_id)}

    # A more lenient organisation: a tenth of the session is enough.
    async with live_server.database.unit_of_work() as db:
        strict = await attendance_sheet(
            db,
            room.series_id,
            EvaluationRules(attendance_share=Decimal("0.1")),
        )
    assert strict.cells[(ids["Puolukka"], room.session_id)].mark.counts  # 20 of 90 min > 10 %


async def test_staff_correct_attendance_and_every_correction_is_logged(live_server, org, clock):
    room, facilitator, _parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    ids = await pseudonym_ids(live_server.database, room.series_id)
    async with live_server.database.unit_of_work() as db:
        staff_id = await db.scalar(select(StaffRow.id).where(StaffRow.role == "coordinator"))
        await correct_attendance(
            db,
            room.series_id,
            room.session_id,
            ids["Puolukka"],
            True,
            "Osallistui puhelimella",
            staff_id,
            clock.now,
        )
    clock.advance(minutes=1)
    async with live_server.database.unit_of_work() as db:
        await correct_attendance(
            db,
            room.series_id,
            room.session_id,
            ids["Mustikka"],
            False,
            "Vain kirjautui",
            staff_id,
            clock.now,
        )
    async with live_server.database.unit_of_work() as db:
        sheet = await attendance_sheet(db, room.series_id, EvaluationRules())
        log = await attendance_corrections(db, room.series_id)
    assert sheet.cells[(ids["Puolukka"], room.session_id)].mark.counts
    assert sheet.cells[(ids["Puolukka"], room.session_id)].mark.is_corrected
    assert not sheet.cells[(ids["Mustikka"], room.session_id)].mark.counts
    assert [(c.reason, e.pseudonym) for c, e, _s in log] == [
        ("Vain kirjautui", "Mustikka"),
        ("Osallistui puhelimella", "Puolukka"),
    ]

    # A session nobody opened has no attendance to correct.
    async with live_server.database.unit_of_work() as db:
        with pytest.raises(TupaError) as refused:
            await correct_attendance(
                db,
                room.series_id,
                room.other_session_id,
                ids["Mustikka"],
                True,
                "x",
                staff_id,
                clock.now,
            )
    assert refused.value.code is ErrorCode.NOT_YET_OPEN
    await facilitator.close()
