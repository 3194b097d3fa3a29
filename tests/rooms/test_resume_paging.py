"""A resume longer than the replay limit is paged, never cut (issue 19, point 1): the welcome
carries the oldest missed events and ``replay`` frames the rest, in order, before anything live."""

import pytest

from server.rooms import welcome
from tests.rooms.bus_support import shared_room
from tests.rooms.support import eventually

PAGE = 10


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(welcome, "REPLAY_PAGE", PAGE)


async def test_a_client_that_missed_more_than_the_limit_gets_everything_in_order(
    database, org, clock, small_pages
):
    room, facilitator = await shared_room(database, org, clock, ["Mustikka"], hubs=1)
    try:
        mustikka = await room.enter(0, "Mustikka")
        first = mustikka.socket.of_type("welcome")[0]
        texts = [f"viesti {i}" for i in range(2 * PAGE + 5)]
        for text in texts:
            await room.say(0, facilitator, text)
        seen = first["seq"]

        again = await room.enter(0, "Mustikka", last_seq=seen)
        await eventually(lambda: any(not f["more"] for f in again.socket.of_type("replay")))
        kinds = [f["type"] for f in again.socket.frames]
        assert kinds[:3] == ["welcome", "replay", "replay"], kinds
        welcome_frame, *pages = again.socket.frames[:3]
        assert welcome_frame["more"] is True
        assert [p["more"] for p in pages] == [True, False]
        frames = [welcome_frame, *pages]
        events = [e for f in frames for e in f["events"]]
        assert [e["text"] for e in events if e["type"] == "message"] == texts
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(set(seqs)) and min(seqs) > seen
        assert [f["seq"] for f in frames] == [f["events"][-1]["seq"] for f in frames]
        assert all(len(f["events"]) <= PAGE for f in frames)

        await room.say(0, facilitator, "elävänä")  # live, after the pages
        await eventually(lambda: again.socket.of_type("message") != [])
        live = again.socket.of_type("message")
        assert [m["text"] for m in live] == ["elävänä"] and live[0]["seq"] > seqs[-1]
    finally:
        await room.stop()


async def test_a_short_resume_is_one_welcome_that_says_nothing_more_follows(
    database, org, clock, small_pages
):
    room, facilitator = await shared_room(database, org, clock, ["Mustikka"], hubs=1)
    try:
        mustikka = await room.enter(0, "Mustikka")
        seen = mustikka.socket.of_type("welcome")[0]["seq"]
        await room.say(0, facilitator, "yksi")
        again = await room.enter(0, "Mustikka", last_seq=seen)
        assert again.socket.of_type("replay") == []
        (frame,) = again.socket.of_type("welcome")
        assert frame["more"] is False
        assert [e["text"] for e in frame["events"] if e["type"] == "message"] == ["yksi"]
    finally:
        await room.stop()
