"""Which of several media relays takes a room, and which relays count as alive (pure).

Each ``tupa relay`` announces itself (``Announcement``) every ``beat_interval(ttl)`` seconds with
a time to live; an announcement older than its TTL is a relay that stopped answering. A relay
still announcing may yet be out of a room server's reach (a wrong announced address, a firewall,
a network split), so each room server also asks every relay's ``/health`` each beat: a relay
counts as alive for it only while it has also answered within the TTL (:func:`reachable`).

A room goes to the least-loaded live relay and stays there while that relay lives: moving a room
costs every browser in it a new negotiation, so load only decides where *new* rooms go.

Announcements are read back from Redis, which any process of the installation can write to, so
:func:`parse` takes them as untrusted: bounded ids, an ``http(s)`` URL, non-negative numbers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

# A relay's id: chosen by the relay at start (random), also a Redis key's last part.
RELAY_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_URL = 300
MAX_ANNOUNCEMENT_BYTES = 2_000
# How many times within one TTL a relay announces itself: one or two missed beats (a busy
# machine, a slow Redis round trip) must not make a live relay look dead.
BEATS_PER_TTL = 4


@dataclass(frozen=True)
class Announcement:
    """One relay as it described itself: where room servers reach it and how busy it is."""

    relay: str
    url: str
    packets_per_second: float
    subscriptions: int
    rooms: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))


def parse(raw: bytes | str) -> Announcement | None:
    """An announcement read back from Redis, or None for anything malformed."""
    if len(raw) > MAX_ANNOUNCEMENT_BYTES:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    relay, url = data.get("relay"), data.get("url")
    pps, subscriptions, rooms = (
        data.get(k) for k in ("packets_per_second", "subscriptions", "rooms")
    )
    if not (isinstance(relay, str) and RELAY_ID.fullmatch(relay)):
        return None
    if not (
        isinstance(url, str) and len(url) <= MAX_URL and url.startswith(("http://", "https://"))
    ):
        return None
    if not (isinstance(pps, int | float) and not isinstance(pps, bool) and math.isfinite(pps)):
        return None
    counts = (subscriptions, rooms)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        return None
    assert isinstance(subscriptions, int) and isinstance(rooms, int)
    return Announcement(relay, url.rstrip("/"), max(0.0, float(pps)), subscriptions, rooms)


def beat_interval(ttl: float) -> float:
    """How often a relay announces itself, for an announcement that lives ``ttl`` seconds."""
    return ttl / BEATS_PER_TTL


def alive(seen: dict[str, float], now: float, ttl: float) -> set[str]:
    """The relays last heard from less than ``ttl`` seconds before ``now`` (one clock: the
    reader's own, so that clocks of other machines never matter)."""
    return {relay for relay, at in seen.items() if now - at < ttl}


def reachable(
    announced: Mapping[str, float], answered: Mapping[str, float], now: float, ttl: float
) -> set[str]:
    """The relays alive for this room server: announced within ``ttl`` and answered its probe
    within ``ttl`` (one clock, the reader's). A relay that never answered is not one, however
    fresh its announcement: nobody here can reach it, so no room may be placed on it."""
    return {
        relay
        for relay in alive(dict(announced), now, ttl)
        if relay in answered and now - answered[relay] < ttl
    }


def unreachable(
    announced: Mapping[str, float],
    answered: Mapping[str, float],
    first_announced: Mapping[str, float],
    now: float,
    ttl: float,
) -> set[str]:
    """The relays announced within ``ttl`` that this room server cannot reach: their last answer
    (or, before any, their first announcement: a relay announces itself just before it listens)
    is ``ttl`` or more old. What the room server logs and counts; placing uses :func:`reachable`.
    """
    since = {relay: answered.get(relay, first_announced.get(relay, now)) for relay in announced}
    return {relay for relay in alive(dict(announced), now, ttl) if now - since[relay] >= ttl}


def probe_timeout(ttl: float) -> float:
    """How long a ``/health`` probe may wait: at most a second, and never past half a TTL, so
    that a relay that does not answer still leaves the beat time to find it gone."""
    return min(1.0, ttl / 2)


def load(announcement: Announcement) -> tuple[float, int, int, str]:
    """How busy a relay is, for ordering: packets per second first (what costs its CPU), then
    subscriptions and rooms (a room just placed has no packets yet), then the id (a stable tie)."""
    a = announcement
    return (a.packets_per_second, a.subscriptions, a.rooms, a.relay)


def least_loaded(live: Iterable[Announcement], avoid: Iterable[str] = ()) -> Announcement | None:
    """The live relay a new room goes to; ``avoid`` (a relay just found dead) only if alone."""
    candidates = list(live)
    avoided = set(avoid)
    preferred = [a for a in candidates if a.relay not in avoided] or candidates
    return min(preferred, key=load, default=None)


def keeps(placed_on: str | None, live: Iterable[str]) -> bool:
    """Whether a room stays where it is: it is placed, on a relay still alive."""
    return placed_on is not None and placed_on in set(live)


def packets_per_second(before: tuple[int, float], after: tuple[int, float]) -> float:
    """The rate between two readings (packets sent ever, monotonic time); 0 when time stood."""
    (packets_then, then), (packets_now, now) = before, after
    if now <= then:
        return 0.0
    return max(0, packets_now - packets_then) / (now - then)


def cascade_after(capacity: int, share: float) -> int:
    """How many subscribers of one room its relay serves before a second relay, fed once by the
    first, takes the next ones: ``share`` of what one relay carries (``capacity``), at least 1."""
    return max(1, math.floor(capacity * share))


def relay_for_subscriber(
    served: Mapping[str, str], first: str, second: str | None, limit: int
) -> str:
    """Where a new subscriber of a room goes: its first relay until that serves ``limit`` of the
    room's subscribers, then the second (if the room has one; else the first all the same)."""
    on_first = sum(1 for relay in served.values() if relay == first)
    return second if second is not None and on_first >= limit else first


def second_relay(live: Iterable[Announcement], first: str) -> Announcement | None:
    """The least-loaded live relay other than the room's first: its second, or None."""
    return least_loaded([a for a in live if a.relay != first])
