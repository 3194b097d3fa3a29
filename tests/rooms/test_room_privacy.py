"""Everything a parent receives during a whole session, HTTP and WebSocket, holds no real name,
e-mail address or enrolment answer; on a stage, nothing of the rest of the audience either."""

import httpx

from server.enrolment.questions import Question
from server.enrolment.service import EnrolmentRequest, enrol
from server.scheduling.series import MediaMode
from tests.conftest import T0
from tests.roomclient import a_room, connect, parent_device
from tests.rooms.support import open_room_with_parents

SECRETS = [
    "Veera Virtanen",  # the volunteer's real name (she is shown as her alias)
    "Kaisa Koordinaattori",  # never in the room under her real name... unless she enters
    "mustikka@example.org",
    "puolukka@example.org",
    "volunteer@example.org",
    "facilitator@example.org",
    "salainen toive Eetu",  # Puolukka's enrolment answer
]


async def test_everything_a_parent_receives_in_a_session_is_free_of_real_names_and_contacts(
    live_server, org, clock
):
    room = await a_room(
        live_server,
        org,
        clock,
        media_mode=MediaMode.STAGE,
        questions=[Question("q1", "Mitä toivot?", [], False)],
    )
    async with live_server.database.unit_of_work() as db:
        other = await enrol(
            db,
            org,
            room.series_id,
            EnrolmentRequest("Karpalo", "puolukka@example.org", {"q1": "salainen toive Eetu"}),
            T0,  # enrolled back when enrolment was open
        )
    received: list[str] = []
    token = room.parent_links["Mustikka"]
    device = await parent_device(live_server, token)  # the link, swapped for a device cookie
    assert device
    async with httpx.AsyncClient(base_url=live_server.url, cookies={"tupa_me": device}) as http:
        for path in [
            "/",
            f"/series/{room.series_id}",
            "/me",
            f"/me/sessions/{room.session_id}/room",
            "/me/calendar.ics",
            "/api/v1/series",
        ]:
            response = await http.get(path)
            assert response.status_code == 200, path
            received.append(response.text)

    facilitator = await connect(live_server, room.session_id, cookies=room.facilitator)
    await facilitator.expect("welcome")
    await facilitator.send(type="open")
    volunteer = await connect(live_server, room.session_id, cookies=room.volunteer)
    await volunteer.expect("welcome")
    parent = await connect(live_server, room.session_id, link=token)
    joined = await facilitator.expect("lobby_joined")
    await facilitator.send(type="admit", peer=joined["peer"])
    await parent.expect("welcome")
    karpalo = await connect(live_server, room.session_id, link=other.token)
    joined = await facilitator.expect("lobby_joined", name="Karpalo")
    await facilitator.send(type="admit_all")
    await karpalo.expect("welcome")

    await volunteer.say("Hei kaikki, olen kokemuskumppani.")
    await karpalo.say("Hei!")
    await parent.send(type="ask", cid="q", text="Miten kerron lapselle?")
    question = await facilitator.expect("question")
    await facilitator.send(type="question", question=question["seq"], action="approve")
    await facilitator.send(type="private", cid="p", to=parent.peer, text="Kiitos kysymyksestä")
    await parent.expect("private")
    await facilitator.send(type="end")
    await parent.closed_with()
    received.extend(parent.raw)

    everything = "\n".join(received)
    assert "Kokemuskumppani Aino" in everything  # the volunteer appears, by alias
    assert "Karpalo" not in everything  # another of the stage's audience
    for secret in SECRETS:
        assert secret not in everything, secret


async def test_in_a_stage_no_audience_member_receives_another_audience_members_name_or_peer(
    live_server, org, clock
):
    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka", media_mode=MediaMode.STAGE
    )
    volunteer = await connect(live_server, room.session_id, cookies=room.volunteer)
    await volunteer.expect("welcome")
    mustikka, puolukka = parents["Mustikka"], parents["Puolukka"]
    await volunteer.say("Tervetuloa, kertokaa kysymyksenne.")
    await mustikka.say("Kiitos, kuuntelen.")
    await facilitator.expect("message", text="Kiitos, kuuntelen.")

    # A question that is shown and upvoted, one that is hidden; a mute and a removal.
    await puolukka.send(type="ask", cid="q1", text="Miten kerron lapselle?")
    shown = await facilitator.expect("question")
    await facilitator.send(type="question", question=shown["seq"], action="approve")
    await mustikka.expect("question_update", question=shown["seq"], status="approved")
    await mustikka.send(type="upvote", question=shown["seq"])
    await facilitator.expect("question_update", question=shown["seq"], votes=1)
    await mustikka.send(type="ask", cid="q2", text="Saako tästä kysyä?")
    hidden = await facilitator.expect("question")
    await facilitator.send(type="question", question=hidden["seq"], action="hide")
    await facilitator.expect("question_update", question=hidden["seq"])
    await facilitator.send(type="mute", peer=puolukka.peer, seconds=60)
    await facilitator.send(type="remove", peer=puolukka.peer)
    await puolukka.closed_with()
    await everything_before_a_pong(mustikka)

    # Back after a reload: the welcome is rebuilt from what the room keeps.
    await mustikka.close()
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    await again.expect("welcome")
    await facilitator.send(type="end")
    await again.closed_with()

    seen_by_mustikka = "\n".join(mustikka.raw + again.raw)
    assert "Kokemuskumppani Aino" in seen_by_mustikka  # speakers and staff are listed
    assert "Olli Ohjaaja" in seen_by_mustikka
    for other in ("Puolukka", puolukka.peer):
        assert other not in seen_by_mustikka, other
    seen_by_puolukka = "\n".join(puolukka.raw)
    assert "Kokemuskumppani Aino" in seen_by_puolukka
    for other in ("Mustikka", mustikka.peer, again.peer):
        assert other not in seen_by_puolukka, other


async def everything_before_a_pong(client):
    """Read what the server sent ``client`` so far: a pong comes after all of it."""
    await client.send(type="ping")
    await client.expect("pong")
