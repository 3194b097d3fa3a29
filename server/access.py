"""What a committed action changes about who may be in a live room (pure values).

Services that end an enrolment, revoke a link, ban, cancel or move a session, take staff off a
series or deactivate an account record an ``AccessChange`` on their unit of work with
``server.storage.db.after_commit``; once the transaction commits, the room hub hears of it and
tells every instance's rooms (Zulip's ``send_event_on_commit``). This module sits below both the
services and the rooms, so neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AccessReason(StrEnum):
    """Why access changed. Each reason has one documented close code (docs/protocol.md)."""

    ENROLMENT_ENDED = "enrolment_ended"  # withdrawn, removed by a coordinator, series cancelled
    LINK_REVOKED = "link_revoked"
    BANNED = "banned"
    UNBANNED = "unbanned"
    SESSION_CANCELLED = "session_cancelled"
    SESSION_MOVED = "session_moved"
    STAFF_UNASSIGNED = "staff_unassigned"
    SERIES_CANCELLED = "series_cancelled"
    STAFF_DEACTIVATED = "staff_deactivated"
    ERASED = "erased"  # a parent's data was erased: shut out, and what they wrote is deleted
    STAFF_SIGNED_OUT = "staff_signed_out"  # one staff session ended: only its sockets close
    # A parent cancelled or moved an individual time (or lost it): they may no longer enter it.
    BOOKING_ENDED = "booking_ended"


@dataclass(frozen=True)
class AccessChange:
    """One committed change. ``session_id`` narrows it to one room; otherwise ``series_id``
    covers every room of the series, and a staff change without either covers all rooms."""

    reason: AccessReason
    series_id: int | None = None
    session_id: int | None = None
    enrolment_id: int | None = None
    staff_id: int | None = None
    staff_session_id: int | None = None  # STAFF_SIGNED_OUT: the sockets this session opened
