"""What stored room events change beyond the log: memberships, bans, room settings and the
moderation log, in the transaction that stores the events.

These rows are what other features read (attendance, the moderation log, bans) and what a room
is loaded from besides its events; ``state.apply`` and these effects must agree, which the
reload tests check.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.enrolment.bans import ban
from server.organisation import Organisation
from server.rooms.apply import ENDS_ROOM
from server.rooms.erasure import WRITTEN
from server.rooms.events import Event, EventType
from server.rooms.state import MemberStatus, RoomStatus
from server.storage.tables import (
    ModerationLogRow,
    RoomEventRow,
    RoomMemberRow,
    RoomRow,
    SessionRow,
)


async def effects(
    db: AsyncSession, session_id: int, event: Event, now: datetime, org: Organisation
) -> None:
    """What an event changes beyond the event log: memberships, bans, settings, the log."""
    data = event.data
    if event.type in (EventType.MEMBER, EventType.STATUS):
        values: dict[str, object] = {"status": data["status"]}
        if data["status"] == MemberStatus.ADMITTED.value:
            values["admitted_at"] = now
        await db.execute(
            update(RoomMemberRow).where(RoomMemberRow.peer == data["peer"]).values(**values)
        )
        if event.type is EventType.STATUS:
            await _log(db, session_id, event, f"lobby_{data['status']}", data["peer"], now)
    elif event.type is EventType.DELETED:
        author = await db.scalar(  # whose message it was: the log names them, never the text
            select(RoomEventRow.actor).where(
                RoomEventRow.session_id == session_id, RoomEventRow.seq == data["message"]
            )
        )
        await _redact(db, session_id, data["message"], now)
        if event.actor is not None:  # none for an erasure, which its service logs once
            await _log(db, session_id, event, "deleted_message", author, now)
    elif event.type is EventType.MODERATION:
        await _moderation_effects(db, session_id, event, now, org)
    elif event.type is EventType.ROOM:
        await _room_effects(db, session_id, event, now)
    elif event.type is EventType.REPORT:
        await _log(db, session_id, event, "report", None, now, {"message": data["message"]})
    elif event.type is EventType.NEED_TO_TALK:
        # Who asked, took it back or answered: the log holds no text of it.
        target = data["peer"] if data["state"] == "answered" else None
        await _log(db, session_id, event, f"need_to_talk_{data['state']}", target, now)
    elif event.type is EventType.MEDIA_MODERATION:
        for action in data["actions"]:
            await _log(db, session_id, event, action, data["peer"], now)
    elif event.type is EventType.ACCESS:
        await _access_effects(db, session_id, event, now)
    elif event.type is EventType.HELD:  # the log says a message waits, never its text
        await _log(db, session_id, event, "held", None, now)
    elif event.type in (EventType.HELD_APPROVED, EventType.HELD_REJECTED):
        await _held_settled(db, session_id, event, now)
    elif event.type is EventType.WARNING_OVERRIDDEN:  # who, when and what kind: never the text
        detail = {"findings": data["findings"], "in": data["in"]}
        await _log(db, session_id, event, "warning_overridden", None, now, detail)


async def _held_settled(db: AsyncSession, session_id: int, event: Event, now: datetime) -> None:
    """The held copy's text goes from storage (an approved one lives on in the approval, which a
    deletion redacts like any message); the log names the moderator and the author."""
    await _redact(db, session_id, event.data["held"], now)
    moderator = replace(event, actor=event.data["by"])
    action = "held_approved" if event.type is EventType.HELD_APPROVED else "held_rejected"
    await _log(db, session_id, moderator, action, event.data["peer"], now)


async def _access_effects(db: AsyncSession, session_id: int, event: Event, now: datetime) -> None:
    """Keep the rows a room is loaded from in step with what ``apply`` did with the change.

    The action itself (the ban, the cancelled session) was committed by its service already.
    """
    reason = event.data["reason"]
    if reason in ENDS_ROOM:
        await db.execute(
            update(RoomRow)
            .where(RoomRow.session_id == session_id)
            .values(status=RoomStatus.ENDED.value)
        )
        return
    peer = event.data.get("peer")
    if reason == "banned":
        await db.execute(
            update(RoomMemberRow)
            .where(RoomMemberRow.peer == peer)
            .values(status=MemberStatus.BANNED.value)
        )
    elif reason == "unbanned":
        await db.execute(
            update(RoomMemberRow)
            .where(RoomMemberRow.peer == peer, RoomMemberRow.status == MemberStatus.BANNED.value)
            .values(status=MemberStatus.REMOVED.value)
        )
    elif reason == "erased":  # as ``apply`` does: everything the person wrote
        written = await db.scalars(
            select(RoomEventRow.seq).where(
                RoomEventRow.session_id == session_id,
                RoomEventRow.actor == peer,
                RoomEventRow.type.in_([t.value for t in WRITTEN]),
                RoomEventRow.deleted_at.is_(None),
            )
        )
        for seq in list(written):
            await _redact(db, session_id, seq, now)


async def _redact(db: AsyncSession, session_id: int, seq: int, now: datetime) -> None:
    """Drop a deleted message's text from storage, keeping what the room's state is built from
    (who wrote it, when, to whom); a question's text also goes from the updates that carried it."""
    row = await db.scalar(
        select(RoomEventRow).where(RoomEventRow.session_id == session_id, RoomEventRow.seq == seq)
    )
    if row is None:
        return
    row.data = {**_without_text(row.data), "deleted": True}
    row.deleted_at = now
    if row.type != EventType.QUESTION:
        return
    updates = await db.scalars(
        select(RoomEventRow).where(
            RoomEventRow.session_id == session_id,
            RoomEventRow.type == EventType.QUESTION_UPDATE.value,
            RoomEventRow.seq > seq,
        )
    )
    for update_row in updates:
        asked = update_row.data.get("asked")
        if update_row.data.get("question") == seq and isinstance(asked, dict):
            update_row.data = {**update_row.data, "asked": _without_text(asked)}


def _without_text(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "text"}


async def _moderation_effects(
    db: AsyncSession, session_id: int, event: Event, now: datetime, org: Organisation
) -> None:
    data = event.data
    action = data["action"]
    target = await db.scalar(select(RoomMemberRow).where(RoomMemberRow.peer == data["peer"]))
    assert target is not None
    if action == "muted":
        target.muted_until = datetime.fromisoformat(data["until"]) if data["until"] else None
    elif action == "removed":
        target.status = MemberStatus.REMOVED.value
    elif action == "banned":
        target.status = MemberStatus.BANNED.value
        session = await db.get(SessionRow, session_id)
        assert session is not None and target.enrolment_id is not None
        # The enrolment feature owns bans: it ends the enrolment and frees the seat. The room
        # logs the action itself just below, and its event reaches every instance on the bus.
        by = await db.scalar(select(RoomMemberRow.name).where(RoomMemberRow.peer == event.actor))
        series_id, enrolment_id = session.series_id, target.enrolment_id
        await ban(db, org, series_id, enrolment_id, now, by or "?", session_id, by_room=True)
    detail = {"until": data["until"]} if action == "muted" else {}
    await _log(db, session_id, event, action, data["peer"], now, detail)


async def _room_effects(db: AsyncSession, session_id: int, event: Event, now: datetime) -> None:
    data = event.data
    room = await db.get(RoomRow, session_id)
    assert room is not None
    changed = {
        key: data[key]
        for key in ("locked", "slow_mode", "lobby", "volunteers_moderate")
        if getattr(room, key) != data[key]
    }
    if data["status"] != room.status:
        changed["status"] = data["status"]
        if data["status"] == RoomStatus.OPEN.value:
            room.opened_at = now
        elif data["status"] == RoomStatus.ENDED.value:
            room.ended_at = now
    for key, value in changed.items():
        setattr(room, key, value)
    for key, value in changed.items():
        action = f"room_{data['status']}" if key == "status" else key
        await _log(db, session_id, event, action, None, now, {"value": value})


async def _log(
    db: AsyncSession,
    session_id: int,
    event: Event,
    action: str,
    target_peer: str | None,
    now: datetime,
    detail: dict[str, object] | None = None,
) -> None:
    names = {}
    peers = [p for p in (event.actor, target_peer) if p]
    if peers:
        rows = await db.execute(
            select(RoomMemberRow.peer, RoomMemberRow.name, RoomMemberRow.role).where(
                RoomMemberRow.peer.in_(peers)
            )
        )
        names = {peer: (name, role) for peer, name, role in rows}
    session = await db.get(SessionRow, session_id)
    assert session is not None
    actor_name, actor_role = names.get(event.actor or "", ("?", "?"))
    db.add(
        ModerationLogRow(
            series_id=session.series_id,
            session_id=session_id,
            actor_name=actor_name,
            actor_role=actor_role,
            action=action,
            target_name=names.get(target_peer or "", (None, None))[0],
            detail=detail or {},
            created_at=now,
        )
    )
