"""End to end, in Chromium with the fake camera: a stage over three ``tupa relay`` processes.

Its first viewer is served by the room's relay, the second by a second relay fed by the first
(``TUPA_RELAY_CAPACITY`` × ``TUPA_RELAY_CASCADE_SHARE`` is one viewer here). Killing the second
relay (``kill -9``) sends its viewer to another (the third: the first still serves its share);
killing the first then moves the room to the one left, the speaker's page publishing again by
itself. Video comes back each time without
reloading, and the viewer whose relay lived never notices the second relay's death.

The server runs as ``TUPA_RELAY_DISCOVERY`` configures it: the relays announce themselves in a
Redis of the test's own, the room server places the room on them.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from signaling.relay_directory import PLACEMENT_PREFIX, RELAY_PREFIX, SUBSCRIBERS_PREFIX
from signaling.relay_rules import parse
from tests.conftest import free_port, service_unavailable
from tests.e2e.playwright_api import Browser, BrowserContext, Page, expect
from tests.e2e.room import enrol_and_join, move_next_session_to_soon, open_room_without_lobby
from tests.e2e.servers import browser_contexts, tupa_server
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in
from tests.rooms.relays_support import TTL, AnnouncedRelay
from tests.signaling.test_service import SECRET

pytestmark = pytest.mark.e2e

STAGE_SERIES_TITLE = "Tietoa ja tukea lapsiperheen eroon"  # demo data, media mode "stage"
NEAR, FAR = "Kataja", "Lehmus"  # served by the first relay, and by the second
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
            service_unavailable("redis-server is not installed")
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
        self.relays = [AnnouncedRelay(home, self.redis_url) for _ in range(3)]

    def get(self, key: str) -> bytes | None:
        raw = self.client.get(key)
        assert raw is None or isinstance(raw, bytes)
        return raw

    def relay_of(self, session_id: str) -> AnnouncedRelay:
        placed = self.get(PLACEMENT_PREFIX + session_id)
        assert placed is not None, "the room was not placed"
        return self.by_id(placed.decode())

    def by_id(self, relay: str) -> AnnouncedRelay:
        announced = self.get(RELAY_PREFIX + relay)
        assert announced is not None, f"relay {relay} is not announced"
        announcement = parse(announced)
        assert announcement is not None
        return next(r for r in self.relays if r.url == announcement.url)

    def served(self, session_id: str) -> dict[str, str]:
        """Which relay serves each subscriber of the room (by id)."""
        raw = self.client.hgetall(SUBSCRIBERS_PREFIX + session_id)
        assert isinstance(raw, dict)
        return {_text(k): _text(v) for k, v in raw.items()}

    def stop(self) -> None:
        for relay in self.relays:
            if relay.process.poll() is None:
                relay.stop()
        self.client.close()
        self.redis_process.kill()
        self.redis_process.wait()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


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
        "TUPA_RELAY_CAPACITY": "2",
        "TUPA_RELAY_CASCADE_SHARE": "0.5",
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


def video_again(pages: list[Page], since: float) -> list[float]:
    """Wait until each page's video stalls and then flows again; seconds from ``since`` each.

    The count stands still, then moves on (a new subscription counts from zero, so any change
    after the stall is new video)."""
    last = [decoded(page) for page in pages]
    stalled = [False] * len(pages)
    took: list[float | None] = [None] * len(pages)
    while None in took:
        pages[0].wait_for_timeout(250)
        for i, page in enumerate(pages):
            if took[i] is not None:
                continue
            now = decoded(page)
            if now == last[i]:
                stalled[i] = True
            elif stalled[i]:
                took[i] = time.monotonic() - since
            last[i] = now
        assert time.monotonic() - since < BROWSER_RECOVERY_S + 10, "no video after the kill"
    return [t for t in took if t is not None]


def keeps_playing(page: Page) -> None:
    before = decoded(page)
    page.wait_for_timeout(1000)
    assert decoded(page) > before


def test_a_stage_over_three_relays_keeps_its_video_when_they_are_killed(
    new_context: Callable[..., BrowserContext], installation: Installation
) -> None:
    coordinator_context = new_context()
    coordinator = coordinator_context.new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, STAGE_SERIES_TITLE)
    coordinator_context.close()

    near, far = new_context().new_page(), new_context().new_page()
    enrol_and_join(near, series_id, session_id, NEAR)
    facilitator_context = new_context()
    facilitator_context.add_init_script(f"({COUNT_PUBLISHES})()")
    facilitator = facilitator_context.new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    expect(near.locator("#room-grid")).to_be_visible()

    # The facilitator goes on stage; the first viewer sees her through the room's relay.
    expect(facilitator.locator("#media-start")).to_be_visible()
    facilitator.locator("#media-start").click()
    expect(facilitator.locator("#media-controls")).to_be_visible()
    for page in (near, far):
        if page is far:  # the second viewer comes once the first is served
            enrol_and_join(far, series_id, session_id, FAR)
            expect(far.locator("#room-grid")).to_be_visible()
        page.wait_for_function("() => window.__tupaMedia !== undefined")
        page.evaluate("() => { window.__samePage = true; }")
        deadline = time.monotonic() + MEDIA_TIMEOUT_S
        while decoded(page) == 0:
            assert time.monotonic() < deadline, "no video through the relay"
            page.wait_for_timeout(200)
    assert published(facilitator) == 1
    first_id = installation.get(PLACEMENT_PREFIX + session_id)
    assert first_id is not None
    first = installation.by_id(first_id.decode())
    served = installation.served(session_id)
    assert len(served) == 2 and first_id.decode() in served.values(), served
    (second_id,) = set(served.values()) - {first_id.decode()}
    second = installation.by_id(second_id)

    # The second relay dies: its viewer sees video again (from the third relay, the room's new
    # second: the first still serves its share); the other viewer never stops.
    second.kill()
    (took,) = video_again([far], time.monotonic())
    print(f"\nthe second relay's viewer had video again in Chromium {took:.2f} s after the kill")
    assert took < BROWSER_RECOVERY_S
    keeps_playing(near)
    assert published(facilitator) == 1
    now_served = installation.served(session_id)
    assert second_id not in now_served.values() and first_id.decode() in now_served.values()

    # The room's relay dies: the room moves to the third; both viewers see video again.
    first.kill()
    took_near, took_far = video_again([near, far], time.monotonic())
    print(f"video again in Chromium {took_near:.2f} s / {took_far:.2f} s after the room's relay")
    assert max(took_near, took_far) < BROWSER_RECOVERY_S
    keeps_playing(near)
    keeps_playing(far)

    # Nobody reloaded; the facilitator's page published again by itself, at the relay left.
    for page in (near, far):
        assert page.evaluate("() => window.__samePage") is True
    assert published(facilitator) == 2
    assert installation.relay_of(session_id) not in (first, second)
