"""Before a parent posts what looks like identifying details, the room asks once (issue 21)."""

from sqlalchemy import select

from server.storage.tables import ModerationLogRow, RoomEventRow
from tests.roomclient import connect
from tests.rooms.support import open_room_with_parents, reloaded_state

PHONE_TEXT = "Soita mulle 040 123 4567 niin jutellaan"


async def _overrides(server, series_id):
    """The moderation log's lines of warnings shown and overridden."""
    async with server.database.unit_of_work() as db:
        return list(
            await db.scalars(
                select(ModerationLogRow).where(
                    ModerationLogRow.series_id == series_id,
                    ModerationLogRow.action == "warning_overridden",
                )
            )
        )


async def _stored_texts(server, session_id):
    async with server.database.unit_of_work() as db:
        rows = await db.scalars(select(RoomEventRow).where(RoomEventRow.session_id == session_id))
        return [row.data.get("text") for row in rows]


async def test_a_message_with_a_phone_number_is_asked_about_and_stored_nowhere(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    mustikka, puolukka = parents["Mustikka"], parents["Puolukka"]
    await mustikka.send(type="send", cid="c1", text=PHONE_TEXT)
    check = await mustikka.expect("check")
    assert check == {"type": "check", "cid": "c1", "findings": ["phone"]}
    assert PHONE_TEXT not in str(await puolukka.silent(0.3))
    assert PHONE_TEXT not in str(await facilitator.silent(0.1))
    assert PHONE_TEXT not in await _stored_texts(live_server, room.session_id)
    assert await _overrides(live_server, room.series_id) == []  # only an override is logged


async def test_sent_anyway_it_is_posted_marked_for_moderators_only_and_logged_without_text(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    mustikka, puolukka = parents["Mustikka"], parents["Puolukka"]
    await mustikka.send(type="send", cid="c1", text=PHONE_TEXT)
    await mustikka.expect("check", cid="c1")
    await mustikka.send(type="send", cid="c1", text=PHONE_TEXT, confirmed=True)
    await mustikka.expect("ack", cid="c1")

    seen_by_staff = await facilitator.expect("message", text=PHONE_TEXT)
    assert seen_by_staff["flagged"] == ["phone"]
    seen_by_parent = await puolukka.expect("message", text=PHONE_TEXT)
    assert "flagged" not in seen_by_parent
    await mustikka.silent(0.1)  # its own copy may come before or after the ack
    (own,) = [f for f in mustikka.received if f["type"] == "message"]
    assert own["text"] == PHONE_TEXT and "flagged" not in own

    rows = await _overrides(live_server, room.series_id)
    assert [(r.actor_name, r.actor_role, r.detail) for r in rows] == [
        ("Mustikka", "parent", {"findings": ["phone"], "in": "message"})
    ]
    assert "040" not in str([(r.actor_name, r.target_name, r.detail) for r in rows])

    # Replayed on entering again: still marked for staff only, and the state rebuilds alike.
    again = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    replayed = [e for e in (await again.expect("welcome"))["events"] if e["type"] == "message"]
    assert [e["text"] for e in replayed] == [PHONE_TEXT] and "flagged" not in replayed[0]
    staff = await connect(live_server, room.session_id, cookies=room.facilitator)
    replayed = [e for e in (await staff.expect("welcome"))["events"] if e["type"] == "message"]
    assert replayed[0]["flagged"] == ["phone"]
    live = live_server.app.state.hub.rooms[room.session_id].state.durable()
    assert (await reloaded_state(live_server, room.session_id)).durable() == live


async def test_a_private_message_to_the_facilitator_is_asked_about_too(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    mustikka = parents["Mustikka"]
    await facilitator.send(type="private", cid="p1", to=mustikka.peer, text="Miten menee?")
    await mustikka.expect("private", text="Miten menee?")
    text = "Osoitteeni on Hämeenkatu 3 B 12, sähköposti maija@example.fi"
    await mustikka.send(type="private", cid="p2", to=facilitator.peer, text=text)
    check = await mustikka.expect("check", cid="p2")
    assert check["findings"] == ["email", "street_address"]
    await mustikka.send(type="private", cid="p2", to=facilitator.peer, text=text, confirmed=True)
    received = await facilitator.expect("private", text=text)
    assert received["flagged"] == ["email", "street_address"]
    rows = await _overrides(live_server, room.series_id)
    assert [r.detail["in"] for r in rows] == ["private"]


async def test_a_facilitator_posting_the_organisations_number_is_not_asked(live_server, org, clock):
    _room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    await facilitator.send(type="send", cid="f1", text="Toimiston numero on 09 1234 5678")
    await facilitator.expect("ack", cid="f1")
    message = await parents["Mustikka"].expect("message", text="Toimiston numero on 09 1234 5678")
    assert "flagged" not in message


async def test_confirmed_is_a_boolean_or_nothing(live_server, org, clock):
    _room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    mustikka = parents["Mustikka"]
    await mustikka.send(type="send", cid="c1", text=PHONE_TEXT, confirmed="yes")
    error = await mustikka.expect("error")
    assert error["code"] == "bad_frame"
    await mustikka.send(type="send", cid="c2", text="Hei kaikki", confirmed=True)
    await mustikka.expect("ack", cid="c2")  # nothing to ask about: posted, unflagged
    message = await facilitator.expect("message", text="Hei kaikki")
    assert "flagged" not in message
