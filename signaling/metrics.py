"""What a relay process tells Prometheus: packets in and out, NACKs, keyframe requests, its rooms.

Every series carries the relay's id (``relay``), so that a scrape of all relays shows which relay
carries how many rooms, publishers and subscribers (the placement). Room ids and people's ids are
the relay's keys, never its labels: only counts leave it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from server.metrics import Collector, MetricsListener, OnLoop
from signaling.relay import Relay
from signaling.traffic import TRAFFIC, RelayTraffic


class RelayTrafficCollector:
    """The forwarding path's running totals as Prometheus counters."""

    def __init__(self, relay_id: str, traffic: RelayTraffic = TRAFFIC) -> None:
        self._relay_id = relay_id
        self._traffic = traffic

    def collect(self) -> Iterable[Metric]:
        traffic = self._traffic
        for name, documentation, value in (
            ("tupa_relay_packets_in", "RTP packets received from publishers.", traffic.packets_in),
            ("tupa_relay_packets_out", "RTP packets sent on to subscribers.", traffic.packets_out),
            ("tupa_relay_nacks", "Packets subscribers asked for again (RTCP NACK).", traffic.nacks),
            (
                "tupa_relay_keyframe_requests",
                "Keyframe requests from subscribers (RTCP PLI or FIR).",
                traffic.keyframe_requests,
            ),
            (
                "tupa_relay_plis_sent",
                "Merged keyframe requests sent to publishers.",
                traffic.plis_sent,
            ),
        ):
            family = CounterMetricFamily(name, documentation, labels=["relay"])
            family.add_metric([self._relay_id], value)
            yield family


def relay_rooms(relay: Relay, relay_id: str) -> list[Metric]:
    """How many rooms, publishers, subscribers and subscriptions this relay carries now."""
    stats = relay.stats().values()
    counts = (
        ("tupa_relay_rooms", "Rooms with media on this relay.", len(stats)),
        (
            "tupa_relay_publishers",
            "People sending audio or video through this relay.",
            sum(len(room.publishers) for room in stats),
        ),
        (
            "tupa_relay_subscribers",
            "People receiving audio or video from this relay (once per room).",
            sum(len(room.subscribers) for room in stats),
        ),
        (
            "tupa_relay_subscriptions",
            "Subscriber legs: one per subscriber and publisher.",
            sum(len(room.subscriptions) for room in stats),
        ),
    )
    families: list[Metric] = []
    for name, documentation, value in counts:
        family = GaugeMetricFamily(name, documentation, labels=["relay"])
        family.add_metric([relay_id], value)
        families.append(family)
    return families


def relay_collectors(
    relay: Relay, relay_id: str, loop: asyncio.AbstractEventLoop
) -> list[Collector]:
    """Everything a relay process exposes."""
    return [RelayTrafficCollector(relay_id), OnLoop(loop, lambda: relay_rooms(relay, relay_id))]


ASGIApp = Callable[[dict[str, Any], Any, Any], Any]


class ServesMetrics:
    """The relay's ASGI app, with its metrics listener started when the app starts (on the
    event loop the relay runs on) and stopped when it stops."""

    def __init__(self, app: ASGIApp, relay: Relay, relay_id: str, host: str, port: int) -> None:
        self._app = app
        self._relay = relay
        self._relay_id = relay_id
        self._host = host
        self._port = port
        self.listener: MetricsListener | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self._app(scope, receive, send)
            return

        async def receive_and_follow() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup" and self.listener is None:
                collectors = relay_collectors(
                    self._relay, self._relay_id, asyncio.get_running_loop()
                )
                self.listener = MetricsListener(self._host, self._port, collectors)
                self.listener.start()
            elif message["type"] == "lifespan.shutdown" and self.listener is not None:
                self.listener.stop()
                self.listener = None
            return message

        await self._app(scope, receive_and_follow, send)
