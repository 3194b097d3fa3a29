"""The room WebSocket: authenticate, wait for ``hello``, then pass frames to the hub.

It only parses, authorises and forwards; every rule lives in ``server.rooms``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from server.enrolment.devices import COOKIE as PARENT_COOKIE
from server.i18n import Translator
from server.people import staff_sessions
from server.people.session_rules import SEEN_RESOLUTION
from server.rooms.access import AccessRefused, parent_entrant, room_session, staff_entrant
from server.rooms.commands import Hello
from server.rooms.entry import Refusal
from server.rooms.frames import MAX_FRAME_BYTES, CloseCode, FrameError, parse_frame
from server.rooms.hub import RoomHub
from server.rooms.store import Entrant
from server.storage.tables import SessionRow
from server.web.direct_frames import direct_writer
from server.web.language_choice import choose
from server.web.messages import room_error_message
from server.web.security import DirectWebSocketSend, same_origin
from server.web.staff_cookie import COOKIE as STAFF_COOKIE
from server.web.staff_cookie import session_limits

log = logging.getLogger(__name__)
router = APIRouter()
HELLO_TIMEOUT_SECONDS = 10


def _origin_allowed(ws: WebSocket) -> bool:
    """Browsers always send Origin: refuse other sites' pages (cross-site WebSocket hijacking),
    and this site's address with another scheme or port."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True  # not a browser; it has no cookies of ours to abuse
    return same_origin(origin, ws.app.state.settings.public_url)


async def _identify(ws: WebSocket, session_id: int) -> tuple[SessionRow, Entrant]:
    async with ws.app.state.database.unit_of_work() as db:
        session = await room_session(db, session_id)
        device = ws.cookies.get(PARENT_COOKIE)  # sent to /me/rooms/... only (its Path)
        if device:
            return session, await parent_entrant(db, device, session, ws.app.state.clock())
        limits = session_limits(ws.app.state.settings)
        now = ws.app.state.clock()
        found = await staff_sessions.signed_in(db, ws.cookies.get(STAFF_COOKIE), now, limits)
        if found is None:
            raise AccessRefused(CloseCode.UNAUTHENTICATED)
        signed_in, staff = found
        return session, await staff_entrant(db, staff.id, session, signed_in.id)


async def _still_here(ws: WebSocket, staff_session_id: int, now: datetime) -> bool:
    """Whether the staff session behind this socket still lets it in (see ``still_here``);
    True when the database cannot say (best-effort: asked again a minute later)."""
    try:
        async with ws.app.state.database.unit_of_work() as db:
            limits = session_limits(ws.app.state.settings)
            return await staff_sessions.still_here(db, staff_session_id, now, limits)
    except Exception:
        return True


async def _hello(ws: WebSocket) -> Hello | None:
    """The first frame as a ``hello``, or None for anything else: never raises, since whatever a
    client sends first (a binary frame, a disconnect, a frame the parser refuses) closes with 4000.
    """
    try:
        raw = await asyncio.wait_for(ws.receive_text(), HELLO_TIMEOUT_SECONDS)
        command = parse_frame(raw)
    except (TimeoutError, FrameError, KeyError, WebSocketDisconnect, RuntimeError):
        return None
    except Exception:  # nothing a client sends may escape as a traceback
        log.warning("room hello could not be read")
        return None
    return command if isinstance(command, Hello) else None


async def _close(ws: WebSocket, code: int) -> None:
    """Close the socket, which the client may have closed already (nothing to log then)."""
    with contextlib.suppress(Exception):
        await ws.close(code)


@router.websocket("/ws/rooms/{session_id}")
@router.websocket("/me/rooms/{session_id}/socket")  # parents: their device cookie's Path is /me
async def room_socket(ws: WebSocket, session_id: int) -> None:
    try:
        await ws.accept()
    except Exception:  # gone before it was accepted
        return
    if not _origin_allowed(ws) or not 1 <= session_id <= 2_147_483_647:
        await _close(ws, CloseCode.FORBIDDEN if session_id > 0 else CloseCode.NOT_FOUND)
        return
    hello = await _hello(ws)
    if hello is None:
        await _close(ws, CloseCode.PROTOCOL)
        return
    try:
        session, entrant = await _identify(ws, session_id)
    except AccessRefused as refused:
        await _close(ws, refused.close_code)
        return
    except Exception as error:  # the database is away: the client comes back and resumes
        log.warning("a room socket could not be identified (%s)", type(error).__name__)
        await _close(ws, CloseCode.RESYNC)
        return
    settings = ws.app.state.settings
    # The page's own rule (switch cookie, else the browser's Accept-Language, else ours), so that
    # the room's answers are in the language its page was shown in.
    language = choose(
        None,
        ws.cookies.get("tupa_lang"),
        ws.headers.get("accept-language"),
        settings.default_language,
    ).language
    t = Translator(language, settings.zone)
    hub: RoomHub = ws.app.state.hub

    async def close(code: int) -> None:
        await _close(ws, code)

    direct_send = ws.scope.get(DirectWebSocketSend.SCOPE_KEY)

    async def send(text: str) -> None:
        if direct_send is None:
            await ws.send_text(text)
        else:
            await direct_send({"type": "websocket.send", "text": text})

    try:
        entered = await hub.enter(
            session,
            entrant,
            hello.last_seq,
            send,
            close,
            lambda code: room_error_message(t, code),
            direct_writer(direct_send),
        )
    except Exception as error:  # the room could not be loaded: the client comes back
        log.warning("a room socket could not enter (%s)", type(error).__name__)
        entered = Refusal(CloseCode.RESYNC)
    if isinstance(entered, Refusal):
        await close(entered.code)
        return
    seen_at = ws.app.state.clock()
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            if entrant.staff_session_id is not None:
                now = ws.app.state.clock()
                if now - seen_at >= SEEN_RESOLUTION:
                    seen_at = now
                    if not await _still_here(ws, entrant.staff_session_id, now):
                        await close(CloseCode.UNAUTHENTICATED)
                        break
            raw = message.get("text") or message.get("bytes") or ""
            if len(raw) > MAX_FRAME_BYTES:
                await close(CloseCode.TOO_BIG)
                break
            try:
                await hub.receive(session_id, entered, raw)
            except Exception:  # a bug in handling one frame must not take the room down
                log.exception("room frame failed")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        await hub.leave(session_id, entered)
