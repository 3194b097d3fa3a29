"""Running totals of this process's room traffic, kept as plain integers by the hot paths.

A Prometheus counter takes a lock on every increment; a socket write path that runs 20,000 times
a second adds to an integer attribute instead, and ``server.rooms.metrics`` reads these totals
only when it is scraped. The writer's flush time, observed a few times a second, is a histogram
of its own here. Nothing here names a room or a person: only how many, and close codes.
"""

from __future__ import annotations

from collections import Counter

from prometheus_client import CollectorRegistry, Histogram


class RoomCounts:
    """Totals since the process started; they only grow (a scrape turns them into rates)."""

    __slots__ = ("closes", "delivered", "send_queue_full", "stored")

    def __init__(self) -> None:
        self.stored = 0  # room events committed by the writer
        self.delivered = 0  # events pushed to a socket of a person in the room
        self.send_queue_full = 0  # sockets closed with 4008 because their send queue was full
        self.closes: Counter[int] = Counter()  # sockets the server closed, by close code


ROOMS = RoomCounts()

FLUSHES = CollectorRegistry()
FLUSH_SECONDS = Histogram(
    "tupa_writer_flush_seconds",
    "Time one group commit of room events took (a batch of many rooms' events).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=FLUSHES,
)
