"""A ban given in a live room goes through the enrolment feature: the enrolment ends, its seat
goes to the waiting list, and the series page's list of bans names the moderator."""

import asyncio
from datetime import timedelta

from sqlalchemy import select

from server.enrolment import bans
from server.storage.tables import EnrolmentRow, ModerationLogRow
from tests.factories import enrol_parent
from tests.roomclient import a_room, connect


async def wait_for_status(database, enrolment_id, status):
    """The room writes its events a moment after the moderator acts."""
    for _ in range(200):
        async with database.unit_of_work() as db:
            now = await db.scalar(
                select(EnrolmentRow.status).where(EnrolmentRow.id == enrolment_id)
            )
        if now == status:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"enrolment {enrolment_id} never became {status}, it is {now}")


async def test_a_ban_in_the_room_ends_the_enrolment_and_promotes_the_waiting_list(
    live_server, org, clock
):
    room = await a_room(live_server, org, clock, capacity=2, min_size=1)
    before_deadline = clock.now - timedelta(days=7)
    waiting = await enrol_parent(
        live_server.database, org, room.series_id, "Lakka", before_deadline
    )
    assert waiting.enrolment.status == "waitlisted"
    facilitator = await connect(live_server, room.session_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    await facilitator.send(type="lobby", enabled=False)
    await facilitator.expect("room", lobby=False)
    parent = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    await parent.expect("welcome")
    async with live_server.database.unit_of_work() as db:
        banned_id = await db.scalar(
            select(EnrolmentRow.id).where(EnrolmentRow.pseudonym == "Mustikka")
        )

    await facilitator.send(type="ban", peer=parent.peer)
    await parent.closed_with()
    await wait_for_status(live_server.database, banned_id, "banned")

    await wait_for_status(live_server.database, waiting.enrolment.id, "enrolled")
    async with live_server.database.unit_of_work() as db:
        listed = await bans.bans_in(db, room.series_id)
        logged = list(
            await db.scalars(select(ModerationLogRow).where(ModerationLogRow.action == "banned"))
        )
    assert [(b.pseudonym, b.by_name, b.session.id if b.session else None) for b in listed] == [
        ("Mustikka", "Olli Ohjaaja", room.session_id)
    ]
    assert len(logged) == 1  # the room's own entry; the service adds none of its own
