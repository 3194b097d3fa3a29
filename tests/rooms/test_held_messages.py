"""A series may hold a chat message with identifying details for a moderator's approval (issue 21,
point 2): sent anyway, it reaches only moderators and its author until approved or rejected."""

from sqlalchemy import select

from server.scheduling.room_rules import hold_identifying
from server.storage.tables import ModerationLogRow, RoomEventRow
from tests.roomclient import a_room, connect
from tests.rooms.support import reloaded_state

PHONE_TEXT = "Soita mulle 040 123 4567 niin jutellaan"


async def _held_room(server, org, clock):
    """An open room of a series that holds such messages, the facilitator and both parents in."""
    room = await a_room(server, org, clock)
    async with server.database.unit_of_work() as db:
        await hold_identifying(db, room.series_id, True)
    facilitator = await connect(server, room.session_id, cookies=room.facilitator)
    welcome = await facilitator.expect("welcome")
    assert welcome["room"]["identifying_held"] is True
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    await facilitator.send(type="lobby", enabled=False)
    await facilitator.expect("room", lobby=False)
    parents = {}
    for name in ("Mustikka", "Puolukka"):
        parents[name] = await connect(server, room.session_id, link=room.parent_links[name])
        await parents[name].expect("welcome")
    return room, facilitator, parents["Mustikka"], parents["Puolukka"]


async def _send_anyway(parent, cid, text=PHONE_TEXT):
    await parent.send(type="send", cid=cid, text=text)
    await parent.expect("check", cid=cid)
    await parent.send(type="send", cid=cid, text=text, confirmed=True)
    return await parent.expect("ack", cid=cid)


async def _log(server, series_id):
    async with server.database.unit_of_work() as db:
        rows = await db.scalars(
            select(ModerationLogRow)
            .where(ModerationLogRow.series_id == series_id)
            .where(ModerationLogRow.action.like("held%"))
            .order_by(ModerationLogRow.id)
        )
        return [(r.action, r.actor_name, r.target_name, r.detail) for r in rows]


async def _stored_texts(server, session_id):
    async with server.database.unit_of_work() as db:
        rows = await db.scalars(select(RoomEventRow).where(RoomEventRow.session_id == session_id))
        return [str(row.data) for row in rows]


async def _same_when_reloaded(server, session_id):
    live = server.app.state.hub.rooms[session_id].state.durable()
    assert (await reloaded_state(server, session_id)).durable() == live


async def test_a_held_message_reaches_only_moderators_and_its_author(live_server, org, clock):
    room, facilitator, mustikka, puolukka = await _held_room(live_server, org, clock)
    ack = await _send_anyway(mustikka, "c1")
    held = await facilitator.expect("held", text=PHONE_TEXT)
    assert held["seq"] == ack["seq"] and held["flagged"] == ["phone"]
    assert held["peer"] == mustikka.peer
    await mustikka.silent(0.1)
    (own,) = [f for f in mustikka.received if f["type"] == "held"]
    assert own["text"] == PHONE_TEXT and "flagged" not in own
    assert PHONE_TEXT not in str(await puolukka.silent(0.3))
    # Someone entering later is not sent it either; the facilitator is.
    again = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    assert PHONE_TEXT not in str(await again.expect("welcome"))
    await _same_when_reloaded(live_server, room.session_id)
    assert await _log(live_server, room.series_id) == [("held", "Mustikka", None, {})]


async def test_approving_posts_it_to_everyone_and_a_reload_agrees(live_server, org, clock):
    room, facilitator, mustikka, puolukka = await _held_room(live_server, org, clock)
    held = (await _send_anyway(mustikka, "c1"))["seq"]
    await facilitator.expect("held", seq=held)
    await puolukka.send(type="held", message=held, approve=True)  # a parent may not
    assert (await puolukka.expect("error"))["code"] == "not_allowed"

    await facilitator.send(type="held", message=held, approve=True)
    posted = await puolukka.expect("held_approved", held=held)
    assert posted["text"] == PHONE_TEXT and posted["peer"] == mustikka.peer
    assert "flagged" not in posted
    assert (await facilitator.expect("held_approved", held=held))["flagged"] == ["phone"]
    await mustikka.expect("held_approved", held=held)
    # The text lives on in the approval only: the held copy's is gone from storage.
    assert (
        sum(PHONE_TEXT in data for data in await _stored_texts(live_server, room.session_id)) == 1
    )
    await _same_when_reloaded(live_server, room.session_id)

    # Approved once: neither approved again nor rejected; deleted like any message.
    await facilitator.send(type="held", message=held, approve=False)
    assert (await facilitator.expect("error"))["code"] == "unknown_message"
    await facilitator.send(type="delete", seq=posted["seq"])
    await puolukka.expect("deleted", message=posted["seq"])
    assert not any(PHONE_TEXT in d for d in await _stored_texts(live_server, room.session_id))
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    replayed = [(e["type"], e["seq"]) for e in (await again.expect("welcome"))["events"]]
    assert ("deleted", held) not in replayed and ("deleted", posted["seq"]) in replayed
    assert [a for a, *_ in await _log(live_server, room.series_id)] == ["held", "held_approved"]
    _, actor, target, detail = (await _log(live_server, room.series_id))[1]
    assert (actor, target, detail) == ("Olli Ohjaaja", "Mustikka", {})


async def test_rejecting_tells_the_author_and_drops_the_text(live_server, org, clock):
    room, facilitator, mustikka, puolukka = await _held_room(live_server, org, clock)
    held = (await _send_anyway(mustikka, "c1"))["seq"]
    await facilitator.expect("held", seq=held)
    await facilitator.send(type="held", message=held, approve=False)
    told = await mustikka.expect("held_rejected", held=held)
    assert "text" not in told
    await facilitator.expect("held_rejected", held=held)
    assert PHONE_TEXT not in str(await puolukka.silent(0.3))
    assert not any(PHONE_TEXT in d for d in await _stored_texts(live_server, room.session_id))
    await _same_when_reloaded(live_server, room.session_id)
    actions = await _log(live_server, room.series_id)
    assert actions == [
        ("held", "Mustikka", None, {}),
        ("held_rejected", "Olli Ohjaaja", "Mustikka", {}),
    ]
    assert PHONE_TEXT not in str(actions)
    # The author entering again learns it was rejected, and is not shown the text again.
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    events = (await again.expect("welcome"))["events"]
    assert [e["type"] for e in events if e["type"].startswith("held")] == ["held_rejected"]
    assert not [e for e in events if e["type"] == "deleted"]  # not "Message deleted" either
    assert PHONE_TEXT not in str(events)


async def test_what_needs_no_question_and_private_messages_are_not_held(live_server, org, clock):
    room, facilitator, mustikka, puolukka = await _held_room(live_server, org, clock)
    await mustikka.send(type="send", cid="c1", text="Hei kaikki")
    await mustikka.expect("ack", cid="c1")
    await puolukka.expect("message", text="Hei kaikki")
    await facilitator.send(type="private", cid="p1", to=mustikka.peer, text="Miten menee?")
    await mustikka.expect("private", text="Miten menee?")
    await mustikka.send(type="private", cid="p2", to=facilitator.peer, text=PHONE_TEXT)
    await mustikka.expect("check", cid="p2")
    await mustikka.send(
        type="private", cid="p2", to=facilitator.peer, text=PHONE_TEXT, confirmed=True
    )
    await facilitator.expect("private", text=PHONE_TEXT)
    assert await _log(live_server, room.series_id) == []


async def test_a_series_holds_nothing_unless_chosen(live_server, org, clock):
    room = await a_room(live_server, org, clock)
    facilitator = await connect(live_server, room.session_id, cookies=room.facilitator)
    assert (await facilitator.expect("welcome"))["room"]["identifying_held"] is False


async def test_slow_mode_counts_a_held_message_as_one_written(live_server, org, clock):
    _room, facilitator, mustikka, _puolukka = await _held_room(live_server, org, clock)
    await facilitator.send(type="slow_mode", seconds=30)
    await mustikka.expect("room", slow_mode=30)
    await _send_anyway(mustikka, "c1")
    await mustikka.send(type="send", cid="c2", text="Hei kaikki")
    assert (await mustikka.expect("error", cid="c2"))["code"] == "slow_mode"
