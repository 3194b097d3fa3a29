"""``tupa relay`` and ``RelayClient``: the relay as a process of its own, called over HTTP.

The first part checks the service's input rules on the ASGI app in this process; the rest
starts ``tupa relay`` as a real process on a free loopback port and talks to it only through
``RelayClient``, with aiortc peers in this process sending and decoding real media.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.errors import ErrorCode, TupaError
from signaling.client import RelayClient
from signaling.interface import RelayUnavailable
from signaling.relay import Relay
from signaling.service import (
    MAX_BODY_BYTES,
    ExposedWithoutSecret,
    check_exposure,
    relay_service,
)
from tests.signaling.peers import Publisher, Subscriber, decode_failures, eventually

ROOT = Path(__file__).resolve().parents[2]
SECRET = "relay-test-secret-0123456789"
AUTH = {"Authorization": f"Bearer {SECRET}"}
EVERYWHERE = "0.0.0.0"  # noqa: S104 (what these tests refuse)
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


# --- the service's rules, on the ASGI app --------------------------------------------------------


@pytest.fixture
async def service() -> AsyncIterator[httpx.AsyncClient]:
    relay = Relay()
    transport = httpx.ASGITransport(app=relay_service(relay, SECRET))
    async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
        yield client
    await relay.close()


async def test_health_needs_no_secret(service: httpx.AsyncClient) -> None:
    response = await service.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-secret"},
        {"Authorization": SECRET},
        {"Authorization": f"Basic {SECRET}"},
        {"Authorization": f"Bearer {SECRET}x"},
        {"Authorization": f"Bearer {SECRET[:-1]}"},
    ],
)
async def test_every_call_but_health_needs_the_secret(
    service: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    stats = await service.get("/stats", headers=headers)
    body = {"room": "r1", "publisher": "puolukka", "kind": "audio"}
    stop = await service.post("/stop_forwarding", json=body, headers=headers)
    assert stats.status_code == stop.status_code == 401
    assert stop.json() == {"code": "unauthorized"}
    # Refused before the relay saw it: nothing is stopped.
    assert (await service.get("/stats", headers=AUTH)).json() == {}


async def test_without_a_secret_the_service_asks_for_none() -> None:
    relay = Relay()
    transport = httpx.ASGITransport(app=relay_service(relay, ""))
    async with httpx.AsyncClient(transport=transport, base_url="http://relay") as client:
        assert (await client.get("/stats")).status_code == 200
    await relay.close()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([SDP], "body"),
        ("v=0", "body"),
        ({"room": "r1", "publisher": "puolukka"}, "sdp"),
        ({"room": "r1", "publisher": "puolukka", "sdp": SDP, "admin": True}, "admin"),
        ({"room": "r1", "publisher": "puolukka", "sdp": 7}, "sdp"),
        ({"room": "r1", "publisher": "puolukka", "sdp": None}, "sdp"),
        ({"room": "r1", "publisher": "puolukka", "sdp": ""}, "sdp"),
        ({"room": "r1", "publisher": "puolukka", "sdp": "v=0" + "a" * 20_000}, "sdp"),
        ({"room": "", "publisher": "puolukka", "sdp": SDP}, "room"),
        ({"room": "r" * 65, "publisher": "puolukka", "sdp": SDP}, "room"),
        ({"room": "r1", "publisher": "puo lukka", "sdp": SDP}, "publisher"),
        ({"room": "r1", "publisher": "puolukka\nforged log line", "sdp": SDP}, "publisher"),
        ({"room": ["r1"], "publisher": "puolukka", "sdp": SDP}, "room"),
    ],
)
async def test_a_publish_with_a_bad_field_is_invalid_input_naming_it(
    service: httpx.AsyncClient, body: Any, field: str
) -> None:
    response = await service.post("/publish", json=body, headers=AUTH)
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_input", "field": field}


async def test_a_body_that_is_not_json_is_invalid_input(service: httpx.AsyncClient) -> None:
    for content in (b"{not json", b"\xff\xfe", b""):
        response = await service.post("/leave", content=content, headers=AUTH)
        assert response.status_code == 400
        assert response.json() == {"code": "invalid_input", "field": "body"}


async def test_a_kind_other_than_audio_or_video_is_invalid_input(
    service: httpx.AsyncClient,
) -> None:
    for path in ("/stop_forwarding", "/resume_forwarding"):
        body = {"room": "r1", "publisher": "puolukka", "kind": "screen"}
        response = await service.post(path, json=body, headers=AUTH)
        assert response.json() == {"code": "invalid_input", "field": "kind"}
    assert (await service.get("/stats", headers=AUTH)).json() == {}


async def test_a_body_over_64_kib_is_refused_unread(service: httpx.AsyncClient) -> None:
    big = {"room": "r1", "publisher": "p", "sdp": "v=0" + "a" * MAX_BODY_BYTES}
    response = await service.post("/publish", json=big, headers=AUTH)
    assert response.status_code == 413
    assert response.json() == {"code": "request_too_large"}

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(5):
            yield b" " * (MAX_BODY_BYTES // 4)

    streamed = await service.post("/publish", content=chunks(), headers=AUTH)
    assert streamed.status_code == 413


async def test_the_relays_refusals_keep_their_code_and_params(service: httpx.AsyncClient) -> None:
    nobody = {"room": "r1", "subscriber": "kuusi", "publisher": "puolukka"}
    response = await service.post("/subscribe", json=nobody, headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "params": {"room": "r1", "publisher": "puolukka"},
    }

    unusable = {"room": "r1", "publisher": "puolukka", "sdp": "v=0\r\nnonsense\r\n"}
    response = await service.post("/publish", json=unusable, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert 0 < len(response.json()["params"]["reason"]) <= 300


async def test_calls_without_an_answer_are_204_and_stats_are_json_objects(
    service: httpx.AsyncClient,
) -> None:
    body = {"room": "r1", "publisher": "puolukka", "kind": "video"}
    response = await service.post("/stop_forwarding", json=body, headers=AUTH)
    assert response.status_code == 204 and response.content == b""
    stats = (await service.get("/stats", headers=AUTH)).json()
    assert stats == {
        "r1": {
            "publishers": [],
            "subscribers": [],
            "frames_received": {"audio": 0, "video": 0},
            "frames_forwarded": {"audio": 0, "video": 0},
            "frames_dropped": {"audio": 0, "video": 0},
            "frames_withheld": {"audio": 0, "video": 0},
            "keyframe_requests": 0,
            "plis_sent": 0,
            "subscriptions": [],
        }
    }
    response = await service.post("/resume_forwarding", json=body, headers=AUTH)
    assert response.status_code == 204
    assert (await service.get("/stats", headers=AUTH)).json() == {}


async def test_only_the_calls_exist_with_their_methods(service: httpx.AsyncClient) -> None:
    assert (await service.get("/publish", headers=AUTH)).status_code == 405
    assert (await service.post("/stats", headers=AUTH)).status_code == 405
    assert (await service.post("/close", json={}, headers=AUTH)).status_code == 404


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_a_relay_without_a_secret_may_listen_on_loopback(host: str) -> None:
    check_exposure(host, "")


@pytest.mark.parametrize("host", [EVERYWHERE, "::", "192.168.1.20", "10.0.0.5", "relay.internal"])
def test_a_relay_without_a_secret_may_not_listen_beyond_loopback(host: str) -> None:
    with pytest.raises(ExposedWithoutSecret, match="TUPA_RELAY_SECRET"):
        check_exposure(host, "")
    check_exposure(host, SECRET)


# --- `tupa relay` as a real process ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tupa(
    *args: str,
    cwd: Path,
    secret: str = SECRET,
    extra_env: dict[str, str] | None = None,
    **popen: Any,
) -> subprocess.Popen[str]:
    # No TUPA_ variable from the environment, no .env: only what the test sets.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUPA_")}
    env.update(PYTHONPATH=str(ROOT), TUPA_RELAY_SECRET=secret, **(extra_env or {}))
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", *args], cwd=cwd, env=env, text=True, **popen
    )


class RelayProcess:
    """``tupa relay`` on a free loopback port, its output in a file (shown when a test fails)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / f"relay-{self.port}.log"
        with self.log.open("w") as out:
            self.process = tupa(
                "relay",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                cwd=directory,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()

    def output(self) -> str:
        return self.log.read_text()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"tupa relay exited:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"tupa relay did not answer:\n{self.output()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"tupa relay did not stop:\n{self.output()}") from None


@pytest.fixture(scope="module")
def relay_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayProcess]:
    process = RelayProcess(tmp_path_factory.mktemp("relay"))
    yield process
    process.stop()


@pytest.fixture
async def relay(relay_process: RelayProcess) -> AsyncIterator[RelayClient]:
    client = RelayClient(relay_process.url, SECRET)
    yield client
    await client.close()


class Peers:
    """The aiortc peers of one test, closed at its end."""

    def __init__(self) -> None:
        self.all: list[Publisher | Subscriber] = []

    def publisher(self, name: str) -> Publisher:
        publisher = Publisher(name)
        self.all.append(publisher)
        return publisher

    def subscriber(self, name: str) -> Subscriber:
        subscriber = Subscriber(name)
        self.all.append(subscriber)
        return subscriber


@pytest.fixture
async def peers() -> AsyncIterator[Peers]:
    peers = Peers()
    yield peers
    for peer in peers.all:
        await peer.close()


async def test_media_flows_through_tupa_relay_and_moderation_reaches_it(
    relay: RelayClient, peers: Peers, caplog: pytest.LogCaptureFixture
) -> None:
    room = "media-room"
    await peers.publisher("puolukka").publish(relay, room)
    watching = peers.subscriber("kuusi")
    await watching.subscribe(relay, "puolukka", room)

    await eventually(lambda: watching.frames["video"] >= 30 and watching.frames["audio"] >= 30)
    assert decode_failures(caplog) == []
    stats = (await relay.stats())[room]
    assert stats["publishers"] == ["puolukka"] and stats["subscribers"] == ["kuusi"]
    assert stats["frames_forwarded"]["video"] >= 30

    await relay.stop_forwarding(room, "puolukka", "video")
    deadline = time.monotonic() + 15
    while (await relay.stats())[room]["frames_withheld"]["video"] == 0:
        assert time.monotonic() < deadline, "the relay never withheld video"
        await asyncio.sleep(0.05)
    await relay.resume_forwarding(room, "puolukka", "video")
    resumed = watching.frames["video"]
    await eventually(lambda: watching.frames["video"] >= resumed + 15)

    await relay.leave(room, "kuusi")
    await eventually(lambda: watching.ended == {"audio", "video"})
    await relay.unpublish(room, "puolukka")
    assert room not in await relay.stats()


async def test_a_wrong_secret_makes_the_relay_unavailable_and_is_logged(
    relay_process: RelayProcess, caplog: pytest.LogCaptureFixture
) -> None:
    client = RelayClient(relay_process.url, "not-the-secret")
    with pytest.raises(RelayUnavailable):
        await client.leave("r1", "kuusi")
    with pytest.raises(RelayUnavailable):
        await client.stats()
    await client.close()
    assert any("TUPA_RELAY_SECRET" in r.getMessage() for r in caplog.records)


async def test_an_sdp_the_relay_cannot_use_is_invalid_input(relay: RelayClient) -> None:
    with pytest.raises(TupaError) as raised:
        await relay.publish("r1", "puolukka", "v=0\r\nnonsense\r\n")
    assert raised.value.code is ErrorCode.INVALID_INPUT
    assert raised.value.params["reason"]


async def test_an_sdp_too_long_for_the_service_is_invalid_input(relay: RelayClient) -> None:
    for sdp in ("v=0" + "a" * 20_000, "v=0" + "a" * MAX_BODY_BYTES):  # refused, or unread
        with pytest.raises(TupaError) as raised:
            await relay.publish("r1", "puolukka", sdp)
        assert raised.value.code is ErrorCode.INVALID_INPUT


async def test_an_id_the_service_refuses_is_invalid_input(relay: RelayClient) -> None:
    with pytest.raises(TupaError) as raised:
        await relay.leave("r1", "kuusi koivu")
    assert raised.value.code is ErrorCode.INVALID_INPUT
    assert raised.value.params == {"field": "person"}


async def test_subscribing_to_nobody_is_not_found(relay: RelayClient) -> None:
    with pytest.raises(TupaError) as raised:
        await relay.subscribe("r1", "kuusi", "puolukka")
    assert raised.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(TupaError) as raised:
        await relay.answer("r1", "kuusi", "puolukka", "v=0\r\n")
    assert raised.value.code is ErrorCode.NOT_FOUND


async def test_a_url_that_is_not_the_relay_makes_it_unavailable(
    relay_process: RelayProcess, caplog: pytest.LogCaptureFixture
) -> None:
    client = RelayClient(f"{relay_process.url}/elsewhere", SECRET)
    with pytest.raises(RelayUnavailable):  # a 404 without the relay's not_found is no refusal
        await client.subscribe("r1", "kuusi", "puolukka")
    await client.close()
    assert any("TUPA_RELAY_URL" in r.getMessage() for r in caplog.records)


async def test_a_relay_that_is_not_running_is_unavailable_at_once() -> None:
    client = RelayClient(f"http://127.0.0.1:{free_port()}", SECRET, timeout=30)
    began = time.monotonic()
    with pytest.raises(RelayUnavailable):
        await client.publish("r1", "puolukka", "v=0\r\n")
    assert time.monotonic() - began < 2
    await client.close()


async def test_stopping_tupa_relay_closes_every_connection(tmp_path: Path, peers: Peers) -> None:
    process = RelayProcess(tmp_path)
    client = RelayClient(process.url, SECRET)
    try:
        await peers.publisher("puolukka").publish(client, "r1")
        watching = peers.subscriber("kuusi")
        await watching.subscribe(client, "puolukka", "r1")
        await eventually(lambda: watching.frames["video"] >= 10)
    finally:
        await client.close()
        code = process.stop()
    # uvicorn shuts down cleanly, then re-raises SIGTERM so that its parent sees the signal.
    assert code in (0, -signal.SIGTERM), process.output()
    assert "relay closed" in process.output()
    await eventually(lambda: watching.ended == {"audio", "video"})


def test_tupa_relay_refuses_to_listen_beyond_loopback_without_a_secret(tmp_path: Path) -> None:
    port = free_port()
    started = tupa(
        "relay",
        "--host",
        EVERYWHERE,
        "--port",
        str(port),
        cwd=tmp_path,
        secret="",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = started.communicate(timeout=60)
    assert started.returncode == 2
    assert "TUPA_RELAY_SECRET" in err and EVERYWHERE in err
    assert "listening" not in out


def test_tupa_relay_refuses_an_ice_url_it_cannot_use(tmp_path: Path) -> None:
    env = {"TUPA_STUN_URLS": "stun:"}
    started = tupa(
        "relay", "--port", str(free_port()), cwd=tmp_path, stderr=subprocess.PIPE, extra_env=env
    )
    _, err = started.communicate(timeout=60)
    assert started.returncode == 2 and "TUPA_STUN_URLS" in err


def test_tupa_relay_has_help(tmp_path: Path) -> None:
    shown = tupa("relay", "--help", cwd=tmp_path, stdout=subprocess.PIPE)
    out, _ = shown.communicate(timeout=60)
    assert shown.returncode == 0 and "usage: tupa relay" in out
