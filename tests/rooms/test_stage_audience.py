"""On a stage, over real sockets and after a reload from storage: each member of the audience can
put together, from their welcome and the frames they get, no other member of the audience."""

from server.scheduling.series import MediaMode
from tests.roomclient import connect
from tests.rooms.support import eventually, open_room_with_parents


async def test_the_audience_never_learns_who_else_is_watching(live_server, org, clock):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.STAGE
    )
    aino, bea = parents["Mustikka"], parents["Puolukka"]
    assert {m["name"] for m in aino.welcome["members"]} == {"Mustikka", *staff_names(aino)}
    assert (await aino.expect("watching", count=2))["count"] == 2  # Bea came in after Aino

    await facilitator.send(type="ask", cid="q1", text="Miten kerron lapselle?")
    question = await bea.expect("question")
    await bea.send(type="upvote", question=question["seq"])
    assert (await bea.expect("question_update"))["voted"] is True
    vote = await aino.expect("question_update")
    assert vote["votes"] == 1 and "voter" not in vote and "voted" not in vote
    await bea.send(type="hand", raised=True)
    await facilitator.expect("hand", peer=bea.peer)
    await facilitator.send(type="mute", peer=bea.peer, seconds=300)
    assert (await bea.expect("moderation"))["action"] == "muted"
    await facilitator.send(type="remove", peer=bea.peer)
    await facilitator.expect("moderation", action="removed", peer=bea.peer)
    assert (await aino.expect("watching"))["count"] == 1
    await aino.silent()
    assert_no_trace_of(aino.raw, bea.peer, "Puolukka")

    # Reloaded from storage: everyone leaves, the room is built again from its events.
    hub = live_server.app.state.hub
    for client in (aino, facilitator):
        await client.close()
    await eventually(lambda: room.session_id not in hub.rooms, 5)
    cai = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    assert await cai.closed_with() is not None  # removed: kept out
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    welcome = await again.expect("welcome")
    assert welcome["watching"] == 1
    staff = await connect(live_server, room.session_id, cookies=room.facilitator)
    await staff.expect("welcome")
    await again.silent()
    assert_no_trace_of(again.raw, bea.peer, "Puolukka")


def staff_names(client):
    return {m["name"] for m in client.welcome["members"] if m["role"] != "parent"}


def assert_no_trace_of(raw_frames, *values):
    for value in values:
        assert not [f for f in raw_frames if value in f], f"{value} reached the audience"
