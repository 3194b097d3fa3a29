"""A facilitator runs a room: opening, the lobby, chat both ways, resume, moderation."""

from tests.roomclient import a_room, connect


async def test_parent_waits_then_is_admitted_from_the_lobby_and_chats_both_ways(
    live_server, org, clock
):
    room = await a_room(live_server, org, clock)
    parent = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    waiting = await parent.expect("waiting")
    assert waiting["opens_at"]

    facilitator = await connect(live_server, room.session_id, cookies=room.facilitator)
    welcome = await facilitator.expect("welcome")
    assert welcome["you"]["role"] == "facilitator" and welcome["you"]["moderator"]
    await facilitator.send(type="open")
    await parent.expect("lobby")
    joined = await facilitator.expect("lobby_joined")
    assert joined["name"] == "Mustikka"

    await facilitator.send(type="admit", peer=joined["peer"])
    parent_welcome = await parent.expect("welcome")
    assert parent_welcome["you"]["name"] == "Mustikka"

    await facilitator.say("Tervetuloa!")
    hello = await parent.expect("message")
    assert hello["text"] == "Tervetuloa!" and hello["role"] == "facilitator"
    cid = await parent.say("Kiitos")
    ack = await parent.expect("ack", cid=cid)
    reply = await facilitator.expect("message", text="Kiitos")
    assert reply["seq"] == ack["seq"] and reply["name"] == "Mustikka"
