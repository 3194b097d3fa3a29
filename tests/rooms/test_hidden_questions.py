"""A question a moderator hides (issue 15): its author is told, the rest of the audience only
stops seeing it and never learns whose it was, and the room rebuilt from storage tells each of
them the same. Anyone else who enters later (or reloads) gets nothing of a hidden question:
its text is not sent again. The page shows the author "Your question was hidden by the
moderator" from these frames (web/static/room/questions.js)."""

from typing import Any

from server.scheduling.series import MediaMode
from tests.roomclient import connect
from tests.rooms.support import eventually, open_room_with_parents, reloaded_state


def about(frames: list[dict[str, Any]], seq: int) -> list[dict[str, Any]]:
    """The frames about question ``seq``: the question itself and its updates."""
    return [
        f
        for f in frames
        if (f["type"] == "question" and f.get("seq") == seq)
        or (f["type"] == "question_update" and f.get("question") == seq)
    ]


async def test_the_author_of_a_hidden_question_is_told_and_nobody_else_learns_whose_it_was(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.STAGE
    )
    aino, bea = parents["Mustikka"], parents["Puolukka"]

    # Hidden while pending (questions are pre-moderated): between staff and its author.
    await aino.send(type="ask", cid="q1", text="Saako tästä kysyä?")
    unseen = await aino.expect("question", text="Saako tästä kysyä?")
    assert unseen["peer"] == aino.peer and unseen["status"] == "pending"
    await facilitator.expect("question", seq=unseen["seq"])
    await facilitator.send(type="question", question=unseen["seq"], action="hide")
    told = await aino.expect("question_update", question=unseen["seq"])
    assert told["status"] == "hidden"

    # Hidden once approved: everyone stops seeing it; only the author knows it was theirs.
    await aino.send(type="ask", cid="q2", text="Miten kerron lapselle?")
    seen = await aino.expect("question", text="Miten kerron lapselle?")
    await facilitator.expect("question", seq=seen["seq"])
    await facilitator.send(type="question", question=seen["seq"], action="approve")
    approved = await bea.expect("question_update", question=seen["seq"], status="approved")
    assert "peer" not in approved["asked"] and "name" not in approved["asked"]
    await facilitator.send(type="question", question=seen["seq"], action="hide")
    gone = await bea.expect("question_update", question=seen["seq"], status="hidden")
    assert "peer" not in gone and "name" not in gone
    told = await aino.expect("question_update", question=seen["seq"], status="hidden")
    await bea.silent()
    assert about(bea.received, unseen["seq"]) == [], "a question hidden unseen reached the audience"
    assert not [raw for raw in bea.raw if aino.peer in raw or "Mustikka" in raw]

    # Rebuilt from storage once everyone has left: the same question states, and the same story.
    hub = live_server.app.state.hub
    live = hub.rooms[room.session_id].state
    assert {seq: live.questions[seq].status for seq in (unseen["seq"], seen["seq"])} == {
        unseen["seq"]: "hidden",
        seen["seq"]: "hidden",
    }
    durable = live.durable()
    for client in (aino, bea, facilitator):
        await client.close()
    await eventually(lambda: room.session_id not in hub.rooms, 5)
    assert (await reloaded_state(live_server, room.session_id)).durable() == durable

    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    history = (await again.expect("welcome"))["events"]
    for seq in (unseen["seq"], seen["seq"]):
        frames = about(history, seq)
        assert frames[0]["type"] == "question" and frames[0]["peer"] == again.peer
        assert frames[-1]["type"] == "question_update" and frames[-1]["status"] == "hidden"
    other = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    history = (await other.expect("welcome"))["events"]
    assert about(history, unseen["seq"]) == []
    assert about(history, seen["seq"]) == [], "a hidden question's text reached a newcomer"
    assert "Miten kerron lapselle?" not in str(history)
    assert other.peer != again.peer and again.peer not in str(history)
