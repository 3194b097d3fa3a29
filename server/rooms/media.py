"""Who may publish audio and video in a room, and what an SDP would send (pure).

The browser decides how to connect; the server decides what is allowed: in a ``stage`` session the
audience only receives, so an offer or answer of theirs that would send media is refused here, not
just hidden by the page; and a person whose microphone or camera a moderator stopped cannot
negotiate sending it again until it is allowed.
"""

from __future__ import annotations

from enum import StrEnum

from server.rooms.sdp import Sdp
from server.rooms.state import STAFF_ROLES, MemberStatus, ParticipantRole, RoomState
from server.scheduling.series import MediaMode


def may_publish(role: ParticipantRole, mode: MediaMode) -> bool:
    """Everyone publishes in a ``group`` session; in ``stage`` only staff (the audience listens)."""
    if mode is MediaMode.GROUP:
        return True
    if mode is MediaMode.STAGE:
        return role in STAFF_ROLES
    return False


class Topology(StrEnum):
    MESH = "mesh"  # browser to browser
    RELAY = "relay"  # every publisher sends once to the relay, which forwards to the others


def topology(state: RoomState) -> Topology:
    """How media flows in the room now.

    A mesh costs every sender one upload per other person, which a phone on a thin connection
    cannot carry for long; so a ``group`` room uses it only while at most ``mesh_limit`` people
    who may publish are in the room, and ``stage`` (one speaker, many viewers) always uses the
    relay. Counting who *may* publish, not who has a camera on, keeps a room from switching
    back and forth each time someone turns their microphone on or off. The count is taken from
    the room's replica, so every instance reaches the same answer from the same events.
    """
    if state.mode is MediaMode.STAGE:
        return Topology.RELAY
    publishers = sum(
        1
        for m in state.members.values()
        if m.status is MemberStatus.ADMITTED and m.online and may_publish(m.role, state.mode)
    )
    return Topology.RELAY if publishers > state.mesh_limit else Topology.MESH


def sent_kinds(sdp: Sdp) -> frozenset[str]:
    """The media kinds ("audio", "video") an SDP offer or answer would send, read as a browser
    reads it (``server.rooms.sdp``): a section sends unless its one direction says ``recvonly``
    or ``inactive``, or it is rejected."""
    return sdp.sent_kinds
