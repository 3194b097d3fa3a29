"""Every ``send``, ``private`` and ``ask`` gets exactly one answer: an ``ack`` with the seq it was
stored under, or an ``error`` with its ``cid``; and a resend lands once, whatever became of its
original (still being written, failed, slow, or stored but no longer remembered by the room)."""

import asyncio
import logging
from typing import Any

import pytest

from tests.rooms.hub_support import HubRoom, Outage, an_open_room, problems, until


def _frame(room: HubRoom, kind: str, cid: str, text: str) -> dict[str, Any]:
    """A chat-like frame from the facilitator: to everyone, or privately to parent A."""
    if kind == "private":
        peer = room.sockets["A"].of_type("welcome")[0]["you"]["peer"]
        return {"type": "private", "cid": cid, "to": peer, "text": text}
    return {"type": "send", "cid": cid, "text": text}


def _texts(room: HubRoom, name: str, kind: str) -> list[str]:
    return [f["text"] for f in room.sockets[name].of_type("message" if kind == "send" else kind)]


async def _let_run(task: asyncio.Task[None]) -> None:
    """Let a task run until it waits for something (no I/O happens before it does)."""
    for _ in range(20):
        await asyncio.sleep(0)
    assert not task.done()


async def test_a_resend_that_meets_its_original_still_being_written_gets_the_same_ack(
    database, org, clock, caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    room = await an_open_room(database, org, clock, "A")
    try:
        writes = Outage(room.hub.writer.write)
        monkeypatch.setattr(room.hub.writer, "write", writes)
        writes.hold()
        original = asyncio.create_task(room.receive("A", type="send", cid="c1", text="hei"))
        await until(lambda: writes.calls == 1)
        resend = asyncio.create_task(room.receive("A", type="send", cid="c1", text="hei"))
        await _let_run(resend)
        writes.release()
        await asyncio.gather(original, resend)
        await until(lambda: len(room.sockets["A"].answers("c1")) == 2)

        [seq] = await room.stored("c1")
        answers = room.sockets["A"].answers("c1")
        assert answers == [{"type": "ack", "cid": "c1", "seq": seq}] * 2
        assert writes.calls == 1
        await until(lambda: _texts(room, "F", "send") == ["hei"])
        assert not problems(caplog)
    finally:
        await room.hub.stop()


@pytest.mark.parametrize("kind", ["send", "private"])
async def test_a_send_whose_write_fails_gets_not_stored_with_its_cid_and_lands_once_when_resent(
    database, org, clock, caplog, monkeypatch, kind
):
    caplog.set_level(logging.INFO)
    room = await an_open_room(database, org, clock, "A")
    try:
        writes = Outage(room.hub.writer.write)
        monkeypatch.setattr(room.hub.writer, "write", writes)
        writes.down = True
        await room.receive("F", **_frame(room, kind, "c2", "hei"))

        await until(lambda: len(room.sockets["F"].answers("c2")) == 1)
        [refused] = room.sockets["F"].answers("c2")
        assert refused["type"] == "error" and refused["code"] == "not_stored"
        assert refused["retry_after"] >= 1
        assert await room.stored("c2") == []

        writes.down = False
        await room.receive("F", **_frame(room, kind, "c2", "hei"))
        await until(lambda: len(room.sockets["F"].answers("c2")) == 2)
        [seq] = await room.stored("c2")
        assert room.sockets["F"].answers("c2")[1:] == [{"type": "ack", "cid": "c2", "seq": seq}]
        await until(lambda: _texts(room, "A", kind) == ["hei"])
        assert not problems(caplog)
    finally:
        await room.hub.stop()


async def test_a_send_whose_write_hangs_is_answered_in_time_and_its_resend_lands_once(
    database, org, clock, monkeypatch
):
    room = await an_open_room(database, org, clock, "A")
    try:
        room.hub.sends.answer_seconds = 0.2
        writes = Outage(room.hub.writer.write)
        monkeypatch.setattr(room.hub.writer, "write", writes)
        writes.hold()
        await room.receive("A", type="send", cid="c3", text="hei")  # answered, though not stored
        await until(lambda: len(room.sockets["A"].answers("c3")) == 1)
        [refused] = room.sockets["A"].answers("c3")
        assert refused["type"] == "error" and refused["code"] == "not_stored"

        resend = asyncio.create_task(room.receive("A", type="send", cid="c3", text="hei"))
        await _let_run(resend)
        writes.release()  # the database answers: the original is stored after all
        await resend

        await until(lambda: len(room.sockets["A"].answers("c3")) == 2)
        [seq] = await room.stored("c3")
        assert room.sockets["A"].answers("c3")[1:] == [{"type": "ack", "cid": "c3", "seq": seq}]
        assert writes.calls == 1
        await until(lambda: _texts(room, "F", "send") == ["hei"])
    finally:
        await room.hub.stop()


async def test_a_resend_the_room_no_longer_remembers_is_acked_from_the_database(
    database, org, clock, caplog, monkeypatch
):
    """The room remembers only so many cids (and another instance may have stored the original
    before this one heard of it): the database's unique index still makes the resend land once."""
    caplog.set_level(logging.INFO)
    monkeypatch.setattr("server.rooms.state.MAX_REMEMBERED_CIDS", 1)
    room = await an_open_room(database, org, clock, "A")
    try:
        await room.receive("A", type="send", cid="c4", text="eka")
        await room.receive("A", type="send", cid="c5", text="toka")  # c4 is forgotten
        await room.receive("A", type="send", cid="c4", text="eka")

        await until(lambda: len(room.sockets["A"].answers("c4")) == 2)
        [seq] = await room.stored("c4")
        assert room.sockets["A"].answers("c4") == [{"type": "ack", "cid": "c4", "seq": seq}] * 2
        assert _texts(room, "F", "send") == ["eka", "toka"]
        assert not problems(caplog)
    finally:
        await room.hub.stop()


async def test_a_moderators_command_whose_write_fails_is_refused_with_not_stored(
    database, org, clock, caplog, monkeypatch
):
    caplog.set_level(logging.INFO)
    room = await an_open_room(database, org, clock, "A")
    try:
        writes = Outage(room.hub.writer.write)
        monkeypatch.setattr(room.hub.writer, "write", writes)
        writes.down = True
        await room.receive("F", type="lobby", enabled=True)
        await until(lambda: bool(room.sockets["F"].of_type("error")))
        [refused] = room.sockets["F"].of_type("error")
        assert refused["code"] == "not_stored" and "cid" not in refused
        assert room.hub.rooms[room.session.id].state.lobby is False
        assert not problems(caplog)
    finally:
        await room.hub.stop()
