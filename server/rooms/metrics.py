"""What a web process tells Prometheus about its rooms: sockets, rooms, events, flushes, closes,
and how many announced relays it cannot reach.

Counters come from ``server.counts`` (plain integers the hot paths add to); the writer's flush
time is a histogram, observed once per flush; rooms and sockets are counted on the event loop at
scrape time. No label names a room or a person.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from server.counts import FLUSHES, ROOMS, RoomCounts
from server.metrics import Collector, MetricsListener, OnLoop
from server.rooms.hub import RoomHub
from server.settings import Settings
from signaling.interface import MediaRelay
from signaling.placed import PlacedRelays


class RoomCountsCollector:
    """The hot paths' running totals as Prometheus counters."""

    def __init__(self, counts: RoomCounts = ROOMS) -> None:
        self._counts = counts

    def collect(self) -> Iterable[Metric]:
        counts = self._counts
        yield CounterMetricFamily(
            "tupa_room_events_stored", "Room events committed to the database.", counts.stored
        )
        yield CounterMetricFamily(
            "tupa_room_events_delivered",
            "Room events pushed to the sockets of people in the room (one per recipient).",
            counts.delivered,
        )
        yield CounterMetricFamily(
            "tupa_room_send_queue_closes",
            "Sockets closed with 4008 because they fell too far behind (send queue full).",
            counts.send_queue_full,
        )
        closes = CounterMetricFamily(
            "tupa_room_socket_closes",
            "Room sockets the server closed, by close code.",
            labels=["code"],
        )
        for code, count in sorted(counts.closes.items()):
            closes.add_metric([str(code)], count)
        yield closes


def live_rooms(hub: RoomHub) -> list[Metric]:
    """Rooms this process holds (someone is connected to it here) and their open sockets."""
    sockets = sum(
        len(conns) for runtime in hub.rooms.values() for conns in runtime.connections.values()
    )
    return [
        GaugeMetricFamily(
            "tupa_rooms",
            "Rooms loaded in this process (someone is connected here).",
            len(hub.rooms),
        ),
        GaugeMetricFamily("tupa_room_sockets", "Open room sockets in this process.", sockets),
    ]


def unreachable_relays(relay: MediaRelay) -> Metric:
    """Relays announced in Redis that this process has not reached for a TTL: their rooms moved
    away and they get no new ones, yet they run. Only a count: which relays it is says the
    log line of each change. Always 0 without several relays (``TUPA_RELAY_DISCOVERY``)."""
    count = len(relay.directory.unreachable_ids()) if isinstance(relay, PlacedRelays) else 0
    return GaugeMetricFamily(
        "tupa_relays_unreachable",
        "Relays announced in Redis that this web process cannot reach at their address.",
        count,
    )


def room_collectors(hub: RoomHub, loop: asyncio.AbstractEventLoop) -> list[Collector]:
    """Everything a web process exposes about its rooms (and the relays it places them on)."""

    def read() -> list[Metric]:
        return [*live_rooms(hub), unreachable_relays(hub.relay_link.relay)]

    return [RoomCountsCollector(), FLUSHES, OnLoop(loop, read)]


def rooms_metrics_listener(settings: Settings, hub: RoomHub) -> MetricsListener | None:
    """Start serving this web process's metrics on ``TUPA_METRICS_PORT``; None when unset."""
    if settings.metrics_port is None:
        return None
    listener = MetricsListener(
        settings.metrics_host,
        settings.metrics_port,
        room_collectors(hub, asyncio.get_running_loop()),
    )
    listener.start()
    return listener
