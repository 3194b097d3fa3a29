"""Frames nobody should send, over a real WebSocket: refused with stable codes, counted against
the sender's rate, never a traceback in the log, and the room goes on for everyone else."""

import logging

import websockets
from sqlalchemy import select

from server.rooms.frames import CloseCode, RoomError
from server.storage.tables import RoomEventRow
from tests.roomclient import connect
from tests.rooms.support import open_room_with_parents


def tracebacks(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
    ]


async def test_a_flood_of_frames_the_parser_cannot_read_is_answered_and_closed_as_abuse(
    live_server, org, clock, caplog
):
    caplog.set_level(logging.INFO)
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    parent = parents["Mustikka"]
    sent = 0
    try:
        for raw in ["[" * 1100] * 500 + ['{"type":[1]}'] * 500:
            await parent.ws.send(raw)
            sent += 1
    except websockets.ConnectionClosed:
        pass
    assert await parent.closed_with(10) == CloseCode.ABUSE
    codes = [frame["code"] for frame in parent.received if frame["type"] == "error"]
    assert codes[0] == RoomError.INVALID_FRAME
    assert set(codes) <= {RoomError.INVALID_FRAME, RoomError.RATE_LIMITED}
    assert sent > len(codes)  # the close came before the flood ended
    assert not tracebacks(caplog)

    await facilitator.say("vielä täällä")
    await facilitator.expect("message", text="vielä täällä")
    again = await connect(live_server, room.session_id, link=room.parent_links["Mustikka"])
    await again.expect("welcome")


async def test_text_that_is_not_utf8_is_refused_and_nothing_is_stored(
    live_server, org, clock, caplog
):
    caplog.set_level(logging.INFO)
    room, facilitator, parents = await open_room_with_parents(live_server, org, clock, "Mustikka")
    parent = parents["Mustikka"]
    await facilitator.say("ensimmäinen")
    first = await parent.expect("message", text="ensimmäinen")

    await parent.ws.send('{"type":"send","cid":"lone-1","text":"hei \\ud800"}')
    assert (await parent.expect("error"))["code"] == RoomError.INVALID_TEXT
    seq = first["seq"]
    await parent.ws.send(f'{{"type":"report","seq":{seq},"reason":"syy \\udfff"}}')
    assert (await parent.expect("error"))["code"] == RoomError.INVALID_TEXT
    await parent.ws.send('{"type":"ask","cid":"lone-2","text":"\\ud83d?"}')
    assert (await parent.expect("error"))["code"] == RoomError.INVALID_TEXT

    async with live_server.database.unit_of_work() as db:
        stored = list(
            await db.scalars(select(RoomEventRow).where(RoomEventRow.session_id == room.session_id))
        )
    assert [row.type for row in stored if row.type in ("message", "report", "question")] == [
        "message"
    ]

    # The room goes on for everyone: the sender, the others, and whoever comes in next.
    await parent.say("toinen")
    await facilitator.expect("message", text="toinen")
    await facilitator.say("kolmas")
    await parent.expect("message", text="kolmas")
    newcomer = await connect(live_server, room.session_id, link=room.parent_links["Puolukka"])
    welcome = await newcomer.expect("welcome")
    texts = [e["text"] for e in welcome["events"] if e["type"] == "message"]
    assert texts == ["ensimmäinen", "toinen", "kolmas"]
    assert not tracebacks(caplog)


async def test_a_hello_the_parser_cannot_read_closes_with_protocol_error(live_server, org, clock):
    room, _facilitator, _ = await open_room_with_parents(live_server, org, clock)
    for raw in ("[" * 1100, '{"type":[1]}', '{"type":"hello","v":1,"last_seq":1e999999}'):
        client = await connect(
            live_server, room.session_id, link=room.parent_links["Mustikka"], hello=False
        )
        await client.ws.send(raw)
        assert await client.closed_with() == CloseCode.PROTOCOL
    binary = await connect(
        live_server, room.session_id, link=room.parent_links["Mustikka"], hello=False
    )
    await binary.ws.send(b'{"type":"hello","v":1}')
    assert await binary.closed_with() == CloseCode.PROTOCOL


async def test_a_room_answers_in_the_browser_language_when_none_was_chosen(live_server, org, clock):
    """The room's page follows Accept-Language on a first visit (server/web/language_choice.py);
    its socket must too, or a Swedish reader's page is Swedish and its room's answers Finnish."""
    from server.i18n import Translator
    from server.settings import Language
    from server.web.messages import room_error_message
    from tests.roomclient import RoomClient

    room, facilitator, _ = await open_room_with_parents(live_server, org, clock, "Mustikka")
    url = f"{live_server.ws_url}/ws/rooms/{room.session_id}"
    zone = live_server.app.state.settings.zone
    cases: tuple[tuple[str, str, Language], ...] = (
        ("sv-FI,sv;q=0.9,en;q=0.5", "", "sv"),
        ("sv-FI,sv;q=0.9", "; tupa_lang=en", "en"),  # a choice made with the switch wins
        ("xx-YY", "", "fi"),
    )
    for header, cookie, expected in cases:
        headers = {"Cookie": room.facilitator + cookie, "Accept-Language": header}
        ws = await websockets.connect(url, additional_headers=headers)
        client = RoomClient(ws)
        await client.send(type="hello", v=1)
        await client.expect("welcome")
        await ws.send('{"type":"send","cid":"lang-1","text":"hei \\ud800"}')
        error = await client.expect("error")
        assert error["message"] == room_error_message(Translator(expected, zone), "invalid_text")
        await ws.close()
    assert room_error_message(Translator("sv", zone), "invalid_text") != room_error_message(
        Translator("fi", zone), "invalid_text"
    )
    await facilitator.say("vielä täällä")
