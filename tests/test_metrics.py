"""Prometheus metrics of a web process and of ``tupa relay``, scraped after real traffic: the
counters move, the listener is not the public port, and nothing names a person, a room or an
address (DESIGN.md: "/metrics, off the public port")."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.rooms.frames import CloseCode
from server.settings import Settings
from signaling.client import RelayClient
from tests.conftest import free_port
from tests.roomclient import connect
from tests.rooms.support import open_room_with_parents
from tests.signaling.peers import Publisher, Subscriber, eventually

ROOT = Path(__file__).resolve().parents[1]
SECRET = "metrics-test-relay-secret-0123456789"

# What a scrape may never show: the people of tests.roomclient.a_room and the test's relay room.
NEVER = [
    "Mustikka",
    "Puolukka",
    "Kokemuskumppani Aino",  # the volunteer's alias
    "Veera Virtanen",
    "Olli Ohjaaja",
    "example.org",  # every e-mail address of the tests
    "puolukka",
    "kuusi",
    "media-room",
    SECRET,
]
ADDRESS = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b|\[?[0-9a-f]*:[0-9a-f:]+\]?:\d+", re.I)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def assert_nothing_personal(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, secret
    labels = [v for (_, pairs) in samples(text) for (_, v) in pairs]
    assert not [v for v in labels if ADDRESS.search(v)], labels


async def scrape(url: str) -> str:
    """A scrape from another thread, as Prometheus' is: the server's loop stays free."""
    response = await asyncio.to_thread(httpx.get, url, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"metrics_port": 0})  # a free port, on loopback


async def test_a_web_process_counts_its_rooms_on_a_listener_of_its_own(live_server, org, clock):
    listener = live_server.app.state.metrics
    url = f"http://127.0.0.1:{listener.port}/metrics"
    before = await scrape(url)

    room, facilitator, parents = await open_room_with_parents(
        live_server, org, clock, "Mustikka", "Puolukka"
    )
    volunteer = await connect(live_server, room.session_id, cookies=room.volunteer)
    await volunteer.expect("welcome")
    for text in ("Hei kaikki", "Miten menee?", "Hyvin"):
        await parents["Mustikka"].say(text)
        await parents["Puolukka"].expect("message", text=text)
    await volunteer.say("Tervetuloa, olen kokemuskumppani")
    await facilitator.expect("message", text="Tervetuloa, olen kokemuskumppani")
    await facilitator.send(type="remove", peer=parents["Puolukka"].peer)
    assert await parents["Puolukka"].closed_with() == CloseCode.REMOVED

    after = await scrape(url)
    deadline = time.monotonic() + 10
    while value(after, "tupa_room_sockets") != 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # the removed socket leaves the hub after its close
        after = await scrape(url)
    assert value(after, "tupa_rooms") == 1
    assert value(after, "tupa_room_sockets") == 3  # facilitator, volunteer, Mustikka
    stored = value(after, "tupa_room_events_stored_total")
    assert stored >= value(before, "tupa_room_events_stored_total") + 4  # four messages at least
    delivered = value(after, "tupa_room_events_delivered_total")
    assert delivered >= value(before, "tupa_room_events_delivered_total") + 4 * 3
    assert value(after, "tupa_writer_flush_seconds_count") > value(
        before, "tupa_writer_flush_seconds_count"
    )
    assert value(after, "tupa_room_socket_closes_total", code=str(CloseCode.REMOVED)) >= 1
    assert "tupa_room_send_queue_closes_total" in after
    assert "tupa_relays_unreachable" in after  # 0 here: one relay, in this process
    assert value(after, "tupa_relays_unreachable") == 0
    assert "process_cpu_seconds_total" in after
    links = list(room.parent_links.values())
    assert_nothing_personal(after, [*NEVER, *links, room.facilitator, room.volunteer])

    async with httpx.AsyncClient(base_url=live_server.url) as http:  # not on the public port
        assert (await http.get("/metrics")).status_code == 404


class RelayWithMetrics:
    """``tupa relay --metrics-port`` on free loopback ports; its output in a file."""

    def __init__(self, directory: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port, self.metrics_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        self.log = directory / "relay.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TUPA_RELAY_SECRET": SECRET}
        env.update(extra_env or {})
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "server.cli", "relay"),
                    *("--port", str(self.port), "--metrics-port", str(self.metrics_port)),
                ],
                cwd=directory,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"tupa relay did not start:\n{self.log.read_text()}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            return httpx.get(self.metrics_url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def relay_process(tmp_path: Path) -> Iterator[RelayWithMetrics]:
    process = RelayWithMetrics(tmp_path)
    yield process
    process.stop()


@pytest.fixture
async def relay(relay_process: RelayWithMetrics) -> AsyncIterator[RelayClient]:
    client = RelayClient(relay_process.url, SECRET)
    yield client
    await client.close()


async def test_tupa_relay_counts_packets_and_subscribers_by_relay_id_only(
    relay_process: RelayWithMetrics, relay: RelayClient
):
    before = await scrape(relay_process.metrics_url)
    publisher, subscriber = Publisher("puolukka"), Subscriber("kuusi")
    try:
        await publisher.publish(relay, "media-room")
        await subscriber.subscribe(relay, "puolukka", "media-room")
        await eventually(
            lambda: subscriber.frames["video"] >= 30 and subscriber.frames["audio"] >= 30
        )
        after = await scrape(relay_process.metrics_url)
    finally:
        await subscriber.close()
        await publisher.close()

    (relay_id,) = {
        dict(labels)["relay"] for (name, labels) in samples(after) if name == "tupa_relay_rooms"
    }
    assert relay_id.endswith(f":{relay_process.port}")  # host name and port: no address
    assert value(after, "tupa_relay_rooms", relay=relay_id) == 1
    assert value(after, "tupa_relay_publishers", relay=relay_id) == 1
    assert value(after, "tupa_relay_subscribers", relay=relay_id) == 1
    assert value(after, "tupa_relay_subscriptions", relay=relay_id) == 1
    packets_in = value(after, "tupa_relay_packets_in_total", relay=relay_id)
    assert packets_in >= value(before, "tupa_relay_packets_in_total", relay=relay_id) + 60
    assert value(after, "tupa_relay_packets_out_total", relay=relay_id) >= 60
    # Present, whether or not this run needed one (the publisher's first frame is a keyframe).
    for name in ("nacks", "keyframe_requests", "plis_sent"):
        assert (f"tupa_relay_{name}_total", (("relay", relay_id),)) in samples(after), name
    assert_nothing_personal(after, NEVER)
    async with httpx.AsyncClient(base_url=relay_process.url) as http:  # not on the relay's API
        assert (await http.get("/metrics")).status_code == 404


async def test_an_announcing_relay_is_labelled_with_the_id_it_announces(
    tmp_path: Path, redis_url: str
):
    """A scrape and Redis name a relay alike, so that an operator can tell which relay of the
    placement (``tupa:relay-room:*``) a series is about."""
    from redis import asyncio as redis

    from signaling.relay_directory import RELAY_PREFIX

    process = RelayWithMetrics(
        tmp_path,
        {"TUPA_REDIS_URL": redis_url, "TUPA_RELAY_ANNOUNCE_URL": "http://relay-a.internal:8100"},
    )
    client = redis.from_url(redis_url)
    try:
        announced: set[str] = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for key in await client.keys(RELAY_PREFIX + "*"):
                raw = await client.get(key)
                if raw and b"relay-a.internal" in raw:
                    name = key.decode() if isinstance(key, bytes) else key
                    announced.add(name.removeprefix(RELAY_PREFIX))
            if announced:
                break
            await asyncio.sleep(0.1)
        scraped = await scrape(process.metrics_url)
    finally:
        process.stop()
        await client.aclose()
    (relay_id,) = announced
    labels = {dict(labels).get("relay") for (name, labels) in samples(scraped)}
    assert relay_id in labels
    assert value(scraped, "tupa_relay_rooms", relay=relay_id) == 0
    assert not [label for label in labels if label and ":" in label]  # no host:port label
