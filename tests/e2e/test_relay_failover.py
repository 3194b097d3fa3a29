"""End to end, in Chromium with the fake camera: a stage on one of two ``tupa relay`` processes
keeps its video when that relay is killed (``kill -9``). The room moves to the other relay; the
speaker's page publishes again and the viewer's subscribes again, without reloading.

The server runs as ``TUPA_RELAY_DISCOVERY`` configures it: the relays announce themselves in a
Redis of the test's own, the room server places the room on one of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect
except ImportError as exc:  # the same rule as conftest.py: skip, or fail where required
    if os.environ.get("TUPA_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip(f"the playwright package cannot be imported: {exc}", allow_module_level=True)

from signaling.relay_directory import PLACEMENT_PREFIX, RELAY_PREFIX
from signaling.relay_rules import parse
from tests.conftest import free_port
from tests.e2e.room import enrol_and_join, move_next_session_to_soon, open_room_without_lobby
from tests.e2e.servers import browser_contexts, tupa_server
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in
from tests.rooms.relays_support import TTL, AnnouncedRelay
from tests.signaling.test_service import SECRET

pytestmark = pytest.mark.e2e

STAGE_SERIES_TITLE = "Tietoa ja tukea lapsiperheen eroon"  # demo data, media mode "stage"
VIEWER = "Kataja"
MEDIA_TIMEOUT_S = 20.0
# The aiortc test holds the 5 s of the issue; a browser on two loaded cores gets some slack.
BROWSER_RECOVERY_S = 10.0

DECODED = """
async () => {
  const stats = await window.__tupaMedia.stats();
  return Object.values(stats).reduce((n, s) => n + (s?.video?.framesDecoded ?? 0), 0);
}
"""


class Installation:
    """A Redis, two announced relays and ``tupa serve --demo`` placing rooms on them (all
    synchronous: Playwright's own loop runs in this thread)."""

    def __init__(self, home: Path) -> None:
        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        port = free_port()
        self.redis_url = f"redis://127.0.0.1:{port}/0"
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(home)]
        self.redis_process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.client = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        self.relays = [AnnouncedRelay(home, self.redis_url) for _ in range(2)]

    def get(self, key: str) -> bytes | None:
        raw = self.client.get(key)
        assert raw is None or isinstance(raw, bytes)
        return raw

    def relay_of(self, session_id: str) -> AnnouncedRelay:
        placed = self.get(PLACEMENT_PREFIX + session_id)
        assert placed is not None, "the room was not placed"
        announced = self.get(RELAY_PREFIX + placed.decode())
        assert announced is not None
        announcement = parse(announced)
        assert announcement is not None
        return next(r for r in self.relays if r.url == announcement.url)

    def stop(self) -> None:
        for relay in self.relays:
            if relay.process.poll() is None:
                relay.stop()
        self.client.close()
        self.redis_process.kill()
        self.redis_process.wait()


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    made = Installation(tmp_path_factory.mktemp("relays"))
    yield made
    made.stop()


@pytest.fixture(scope="module")
def placed_server(
    tmp_path_factory: pytest.TempPathFactory, installation: Installation
) -> Iterator[str]:
    settings = {
        "TUPA_REDIS_URL": installation.redis_url,
        "TUPA_RELAY_DISCOVERY": "true",
        "TUPA_RELAY_SECRET": SECRET,
        "TUPA_RELAY_TTL_SECONDS": str(TTL),
    }
    with tupa_server(tmp_path_factory.mktemp("tupa-relays"), **settings) as url:
        yield url


@pytest.fixture
def new_context(browser: Browser, placed_server: str) -> Iterator[Callable[..., BrowserContext]]:
    with browser_contexts(browser, placed_server, default_lang="en") as open_context:
        yield open_context


def decoded(page: Page) -> int:
    frames: int = page.evaluate(DECODED)
    return frames


def published(page: Page) -> int:
    """How many times the page has published to a relay (its `relay` `publish` frames)."""
    count: int = page.evaluate("() => window.__relayPublishes")
    return count


COUNT_PUBLISHES = """
() => {
  window.__relayPublishes = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    try {
      const frame = JSON.parse(data);
      if (frame.type === "relay" && frame.kind === "publish") window.__relayPublishes += 1;
    } catch (e) {}
    return send.call(this, data);
  };
}
"""


def test_a_stage_keeps_its_video_when_its_relay_is_killed(
    new_context: Callable[..., BrowserContext], installation: Installation
) -> None:
    coordinator_context = new_context()
    coordinator = coordinator_context.new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, STAGE_SERIES_TITLE)
    coordinator_context.close()

    viewer = new_context().new_page()
    enrol_and_join(viewer, series_id, session_id, VIEWER)
    facilitator_context = new_context()
    facilitator_context.add_init_script(f"({COUNT_PUBLISHES})()")
    facilitator = facilitator_context.new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    expect(viewer.locator("#room-grid")).to_be_visible()

    # The facilitator goes on stage; the viewer sees her through the relay the room is on.
    expect(facilitator.locator("#media-start")).to_be_visible()
    facilitator.locator("#media-start").click()
    expect(facilitator.locator("#media-controls")).to_be_visible()
    viewer.wait_for_function("() => window.__tupaMedia !== undefined")
    viewer.evaluate("() => { window.__samePage = true; }")
    deadline = time.monotonic() + MEDIA_TIMEOUT_S
    while decoded(viewer) == 0:
        assert time.monotonic() < deadline, "no video through the relay"
        viewer.wait_for_timeout(200)
    assert published(facilitator) == 1

    killed = installation.relay_of(session_id)
    killed.kill()
    killed_at = time.monotonic()
    # Video stops, then flows again: the count stands still, then moves on (a new subscription
    # counts from zero, so any change after the stall is new video).
    stalled, last = False, decoded(viewer)
    while True:
        viewer.wait_for_timeout(250)
        now = decoded(viewer)
        if now == last:
            stalled = True
        elif stalled:
            break
        last = now
        assert time.monotonic() - killed_at < BROWSER_RECOVERY_S + 10, "no video after the kill"
    took = time.monotonic() - killed_at
    print(f"\nvideo again in Chromium {took:.2f} s after the relay was killed")
    assert took < BROWSER_RECOVERY_S
    viewer.wait_for_timeout(1000)
    assert decoded(viewer) > now  # and it keeps coming

    # Nobody reloaded; the facilitator's page published again by itself, at the other relay.
    assert viewer.evaluate("() => window.__samePage") is True
    assert published(facilitator) == 2
    assert installation.relay_of(session_id) is not killed
