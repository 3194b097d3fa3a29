"""Erasing a parent's data reaches the live room: what they wrote is deleted for everyone through
the room's own events, they are shut out, and the room reloads the same."""

from sqlalchemy import select

from server.enrolment import service as enrolment
from server.enrolment.forgetting import Eraser, erase
from server.privacy.export import personal_record
from server.rooms.frames import CloseCode
from server.rooms.store import load_state
from server.scheduling.series import MediaMode
from server.storage.tables import EnrolmentRow, ModerationLogRow, RoomEventRow, SessionRow
from tests.roomclient import connect
from tests.rooms.support import open_room_with_parents

COORDINATOR = Eraser("Kaisa Koordinaattori", "coordinator")


async def enrolment_id(server, series_id, pseudonym):
    async with server.database.unit_of_work() as db:
        rows = await enrolment.enrolments_in(db, series_id)
    return next(r.id for r in rows if isinstance(r, EnrolmentRow) and r.pseudonym == pseudonym)


async def erase_parent(server, org, clock, series_id, pseudonym):
    target = await enrolment_id(server, series_id, pseudonym)
    async with server.database.unit_of_work() as db:
        await erase(db, org, series_id, target, clock.now, COORDINATOR)


async def export_of(server, clock, series_id, pseudonym):
    target = await enrolment_id(server, series_id, pseudonym)
    async with server.database.unit_of_work() as db:
        return await personal_record(db, await db.get(EnrolmentRow, target), clock.now)


async def stored_room(server, session_id):
    async with server.database.unit_of_work() as db:
        events = list(
            await db.scalars(select(RoomEventRow).where(RoomEventRow.session_id == session_id))
        )
        log = list(await db.scalars(select(ModerationLogRow)))
        session = await db.get(SessionRow, session_id)
        rebuilt = await load_state(db, session, server.app.state.hub.opens_before)
    return events, log, rebuilt


async def test_an_erased_parents_messages_are_deleted_for_everyone_and_the_room_reloads_the_same(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    mustikka, puolukka = parents["Mustikka"], parents["Puolukka"]
    await mustikka.say("asun Kemijärvellä")
    said = await puolukka.expect("message", text="asun Kemijärvellä")
    await facilitator.send(type="private", cid="p0", to=mustikka.peer, text="miten voit?")
    await mustikka.expect("private", text="miten voit?")
    await mustikka.send(type="private", cid="p1", to=facilitator.peer, text="salainen asia")
    private = await facilitator.expect("private", text="salainen asia")
    await puolukka.say("minä jään")
    kept = await facilitator.expect("message", text="minä jään")

    record = await export_of(live_server, clock, room.series_id, "Mustikka")
    assert [w["text"] for r in record["rooms"] for w in r["written"]] == [
        "asun Kemijärvellä",
        "salainen asia",
    ]
    assert "minä jään" not in str(record) and "miten voit" not in str(record)

    await erase_parent(live_server, org, clock, room.series_id, "Mustikka")

    assert await mustikka.closed_with(2) == CloseCode.UNAUTHENTICATED
    await puolukka.expect("deleted", message=said["seq"])
    await facilitator.expect("deleted", message=said["seq"])
    await facilitator.expect("deleted", message=private["seq"])
    events, log, rebuilt = await stored_room(live_server, room.session_id)
    live = live_server.app.state.hub.rooms[room.session_id].state
    assert rebuilt.durable() == live.durable()
    assert live.messages[said["seq"]].deleted and live.messages[private["seq"]].deleted
    assert not live.messages[kept["seq"]].deleted
    stored = str([e.data for e in events])
    assert "Kemijärvellä" not in stored and "salainen" not in stored
    assert "minä jään" in stored  # nobody else's words go
    erased = [entry for entry in log if entry.action == "erased"]
    assert [(e.target_name, e.actor_name, e.detail) for e in erased] == [
        ("Mustikka", "Kaisa Koordinaattori", {})
    ]
    assert not [entry for entry in log if entry.action == "deleted_message"]
    assert "Kemijärvellä" not in str([(e.detail, e.target_name) for e in log])
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    assert await again.closed_with(2) == CloseCode.UNAUTHENTICATED


async def test_an_erased_parents_question_is_deleted_with_its_text_in_the_updates_too(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.STAGE
    )
    await parents["Mustikka"].send(type="ask", cid="q1", text="Miten erotaan?")
    question = await facilitator.expect("question", text="Miten erotaan?")
    await facilitator.send(type="question", question=question["seq"], action="approve")
    await facilitator.expect("question_update")

    await erase_parent(live_server, org, clock, room.series_id, "Mustikka")

    await facilitator.expect("deleted", message=question["seq"])
    events, _log, rebuilt = await stored_room(live_server, room.session_id)
    live = live_server.app.state.hub.rooms[room.session_id].state
    assert rebuilt.durable() == live.durable()
    assert "Miten erotaan" not in str([e.data for e in events])
    late = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    assert "Miten erotaan" not in str(await late.expect("welcome"))
