"""Presence held through other instances, kept true by their heartbeats (pure).

Presence is not stored: each instance tells the others who is connected through it. An instance
that is killed tells nobody, and one cut off from Redis misses departures, so every instance
publishes a heartbeat per room it holds naming everyone connected through it. The others make their
replica agree with each heartbeat, and show the people of an instance not heard from for the
expiry time as gone.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.rooms import entry
from server.rooms.events import NOBODY, Event, EventType
from server.rooms.state import RoomState


def heartbeat(state: RoomState, instance: str, connected: Iterable[str]) -> Event:
    """Who is connected to the room through ``instance``: of the people with a socket there
    (``connected``), those whose arrival it announced. The caller holds the room's lock, so every
    arrival and departure of the instance was published before this."""
    peers = sorted(
        peer
        for peer in connected
        if (member := state.members.get(peer)) is not None and instance in member.online_on
    )
    return Event(EventType.HEARTBEAT, {"peers": peers}, NOBODY, origin=instance)


def reconcile(state: RoomState, beat: Event) -> list[Event]:
    """The presence events, as if from the heartbeat's instance, that make this replica agree
    with it: departures it missed, arrivals it missed or expired too early."""
    origin = beat.origin
    if origin is None:
        return []
    listed = set(beat.data["peers"])
    events: list[Event] = []
    for member in list(state.members.values()):
        held = origin in member.online_on
        if held and member.peer not in listed:
            events += entry.depart(state, member)
        elif not held and member.peer in listed:
            events += entry.still_here(state, member)
    return [e.from_instance(origin) for e in events]


def expired(state: RoomState, silent: set[str]) -> list[Event]:
    """Departures, as if from each silent instance, of everyone connected through it."""
    events: list[Event] = []
    for member in list(state.members.values()):
        for origin in sorted(member.online_on & silent):
            events += [e.from_instance(origin) for e in entry.depart(state, member)]
    return events


def holders(state: RoomState) -> set[str]:
    """The instances someone in the room is connected through."""
    return {origin for member in state.members.values() for origin in member.online_on}
