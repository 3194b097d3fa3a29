"""Everything a parent receives during a whole session, HTTP and WebSocket, holds no real name,
e-mail address or enrolment answer."""

import httpx

from server.enrolment.questions import Question
from server.enrolment.service import EnrolmentRequest, enrol
from server.scheduling.series import MediaMode
from tests.conftest import T0
from tests.roomclient import a_room, connect

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
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        for path in [
            "/",
            f"/series/{room.series_id}",
            f"/me/{token}",
            f"/me/{token}/sessions/{room.session_id}/room",
            f"/me/{token}/calendar.ics",
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
    assert "Karpalo" in everything
    for secret in SECRETS:
        assert secret not in everything, secret
