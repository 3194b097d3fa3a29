"""A live demo room's first minutes (demo only): what a visitor finds written when they arrive.

The simulated facilitator opens the room and admits the demo parents from the lobby; they, the
facilitator and the simulated volunteer write a few messages (on the stage the parents ask
questions, which the facilitator approves and marks answered); and the facilitator deletes a
message that gave a phone number, the moderation action every group meets sooner or later. All of
it goes through the hub as frames of the room protocol, so it is stored as the room's events and a
room loaded again from them shows the same (state = fold(apply, events)).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from server.demo_rooms.client import HubClient
from server.rooms.store import Entrant
from server.scheduling.series import MediaMode

FACILITATOR = -1
VOLUNTEER = -2
REMOVED = "removed"  # a line the facilitator deletes


@dataclass(frozen=True)
class Line:
    speaker: int  # an index into the demo parents, FACILITATOR or VOLUNTEER
    text: str
    ask: bool = False  # a question (stage), approved and, when ``answered``, marked answered
    answered: bool = False
    deleted: bool = False  # deleted by the facilitator at once


PHONE_NUMBER = "040 000 0000"  # made up

SCRIPTS: dict[MediaMode, tuple[Line, ...]] = {
    MediaMode.CHAT: (
        Line(
            FACILITATOR,
            "Tervetuloa ryhmään! Aloitetaan lyhyellä esittäytymisellä: mitä toivotte näiltä "
            "tapaamisilta?",
        ),
        Line(
            0,
            "Hei kaikille. Erosta on puoli vuotta, ja toivon vinkkejä siihen, miten puhua "
            "lasten kanssa.",
        ),
        Line(1, "Meillä on kaksi lasta, 4 ja 7. Vuoroviikot ovat vielä uusia meille kaikille."),
        Line(
            VOLUNTEER,
            "Kiitos, että kerroitte. Minulle vuoroviikot olivat alussa raskaita, mutta arki "
            "asettui vähitellen.",
        ),
        Line(2, f"Soittakaa minulle illalla, numeroni on {PHONE_NUMBER}", deleted=True),
        Line(
            FACILITATOR,
            "Poistin viestin, jossa oli puhelinnumero. Yhteystietoja ei jaeta ryhmässä: näin "
            "kaikkien on turvallista olla mukana.",
        ),
    ),
    MediaMode.GROUP: (
        Line(
            FACILITATOR,
            "Hei ja tervetuloa! Kameran ja mikrofonin saa pitää päällä tai pois, kumpi tuntuu "
            "paremmalta.",
        ),
        Line(0, "Hei! Meillä 5-vuotias raivoaa joka aamu, kun pitäisi pukea."),
        Line(1, "Sama täällä, aamut ovat meidän vaikein hetki."),
        Line(VOLUNTEER, "Meillä auttoi, kun vaatteet valittiin yhdessä jo edellisenä iltana."),
        Line(2, f"Laittakaa viestiä, {PHONE_NUMBER}, niin jutellaan lisää", deleted=True),
        Line(
            FACILITATOR,
            "Poistin viestin, jossa oli puhelinnumero: yhteystietoja ei jaeta ryhmässä.",
        ),
    ),
    MediaMode.STAGE: (
        Line(
            FACILITATOR,
            "Tervetuloa eroneuvo liveen! Puhumme tänään yhteistyövanhemmuudesta. Kysymyksiä voi "
            "lähettää koko ajan.",
        ),
        Line(
            VOLUNTEER,
            "Hei, olen kokemuskumppani ja kerron, miten meillä sovittiin lasten asioista eron "
            "jälkeen.",
        ),
        Line(0, "Miten sopia juhlapyhistä, kun välit ovat tulehtuneet?", ask=True, answered=True),
        Line(1, "Saako lapsi itse päättää, kumman luona hän asuu?", ask=True),
        Line(2, f"Voiko joku soittaa minulle, {PHONE_NUMBER}?", deleted=True),
        Line(0, "Kiitos, tämä auttoi jo paljon!"),
    ),
}


async def _say(client: HubClient, line: Line) -> int:
    """Send one line and wait until it is stored; returns its seq. A line the facilitator
    deletes carries a phone number: the room asks first (``check``), and the demo parent sends it
    anyway, as a parent who clicks "Send anyway" does."""
    cid = uuid.uuid4().hex
    kind = "ask" if line.ask else "send"
    await client.send(type=kind, cid=cid, text=line.text)
    if line.deleted:
        await client.expect("check", cid=cid)
        await client.send(type=kind, cid=cid, text=line.text, confirmed=True)
    ack = await client.expect("ack", cid=cid)
    return int(ack["seq"])


async def write_history(
    facilitator: HubClient,
    volunteer: HubClient | None,
    parents: list[Entrant],
    mode: MediaMode,
) -> None:
    """Open the room (the facilitator has just entered it, still waiting) and write its first
    minutes. The parents leave at the end; the facilitator and the volunteer stay."""
    await facilitator.send(type="open")
    await facilitator.expect("room", status="open")
    clients = []
    for entrant in parents:
        client = HubClient(facilitator.hub, facilitator.session)
        if await client.enter(entrant):
            clients.append(client)
            await facilitator.expect("lobby_joined", name=entrant.name)
    try:
        await facilitator.send(type="admit_all")
        for client in clients:
            await client.expect("welcome")
        speakers = {FACILITATOR: facilitator, VOLUNTEER: volunteer, **dict(enumerate(clients))}
        for line in SCRIPTS[mode]:
            speaker = speakers.get(line.speaker)
            if speaker is None:
                continue  # a volunteer deactivated, a parent who could not enter
            seq = await _say(speaker, line)
            if line.deleted:
                await facilitator.send(type="delete", seq=seq)
                await facilitator.expect("deleted", message=seq)
            if line.ask:
                await facilitator.send(type="question", question=seq, action="approve")
                await facilitator.expect("question_update", question=seq, status="approved")
            if line.answered:
                await facilitator.send(type="question", question=seq, action="answered")
                await facilitator.expect("question_update", question=seq, status="answered")
    finally:
        for client in clients:
            await client.leave()
