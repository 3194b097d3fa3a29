"""What the room's rules answer to a command: events, or an error (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.rooms.events import Event
from server.rooms.frames import RoomError
from server.rooms.state import Member, RoomState


@dataclass
class Decision:
    events: list[Event] = field(default_factory=list)
    error: RoomError | None = None
    retry_after: int | None = None
    duplicate_of: int | None = None  # a retried send: the seq it was stored under
    reply: str | None = None  # a direct answer such as "pong"
    # Not stored: the text looks like identifying details; the writer is asked (``check``).
    check: list[str] | None = None


def refuse(code: RoomError, retry_after: int | None = None) -> Decision:
    return Decision(error=code, retry_after=retry_after)


Handler = Callable[[RoomState, Member, Any, datetime], Decision]
