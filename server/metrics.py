"""Prometheus metrics of one process, served on a listener of their own, never on the public port.

DESIGN.md keeps ``/metrics`` off the public port: the numbers say how busy rooms and relays are,
which is nobody's business outside the installation. ``MetricsListener`` serves them from a
thread of prometheus-client's small HTTP server on an address of their own
(``TUPA_METRICS_HOST``, loopback by default), and only when a port is configured.

What a process exposes is given as collectors. Values that live on the event loop (rooms loaded,
sockets, a relay's subscribers) are read on the loop itself (``OnLoop``): the scrape runs on the
listener's thread, and reading the loop's dictionaries from there could catch them mid-change.
Labels carry counts' kinds, close codes and relay ids only: never a room, a pseudonym, an alias, a
token, an address or a title.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.gc_collector import GCCollector
from prometheus_client.metrics_core import Metric
from prometheus_client.process_collector import ProcessCollector

log = logging.getLogger(__name__)
READ_ON_LOOP_SECONDS = 2.0  # a loop busier than this answers with the counters only


class Collector(Protocol):
    def collect(self) -> Iterable[Metric]: ...


def process_registry() -> CollectorRegistry:
    """This process's CPU seconds, resident memory, open files and garbage collections."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


class OnLoop:
    """Metrics read by ``read`` on the event loop ``loop``, for a scrape on another thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, read: Callable[[], list[Metric]]) -> None:
        self._loop = loop
        self._read = read

    def collect(self) -> Iterable[Metric]:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:  # scraped from the loop itself (a test's generate_latest)
            return self._read()
        if self._loop.is_closed():
            return []
        future: concurrent.futures.Future[list[Metric]] = concurrent.futures.Future()

        def read() -> None:
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(self._read())
                except Exception as error:  # reported as missing values, not a broken scrape
                    future.set_exception(error)

        self._loop.call_soon_threadsafe(read)
        try:
            return future.result(timeout=READ_ON_LOOP_SECONDS)
        except concurrent.futures.TimeoutError:
            future.cancel()
            log.warning("metrics: the event loop did not answer in %.0f s", READ_ON_LOOP_SECONDS)
        except Exception as error:
            log.warning("metrics: reading live values failed (%s)", type(error).__name__)
        return []


class MetricsListener:
    """``/metrics`` in Prometheus' text format on ``host:port``, from a thread of its own."""

    def __init__(self, host: str, port: int, collectors: Sequence[Collector]) -> None:
        self.registry = CollectorRegistry()
        for collector in (process_registry(), *collectors):
            self.registry.register(collector)
        self._host = host
        self._wanted_port = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one the kernel chose, when asked for port 0)."""
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._server, self._thread = start_http_server(
            self._wanted_port, addr=self._host, registry=self.registry
        )
        address = f"[{self._host}]" if ":" in self._host else self._host
        log.info("metrics at http://%s:%d/metrics", address, self.port)

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
