"""End to end, in a real browser: two parents see and hear each other in a `group` session.

The demo series "Minä, tunteet ja taidot – talven ryhmä" meets on video (media mode `group`).
Chromium runs with a fake camera and microphone (``--use-fake-device-for-media-stream``) and
answers the permission prompt by itself, so the pages' own "join with camera and microphone"
button is what starts the capture. Media flows browser to browser over the loopback network
(no STUN or TURN server is needed on one machine); the room's WebSocket carries the signalling.

Whether video arrives is read from the peer connections' statistics (``framesDecoded`` of the
inbound video grows), through the small read-only hook the room page exposes to automated
browsers (``window.__tupaMedia``, only when ``navigator.webdriver`` is set).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from server.demo import DEMO_ACCOUNTS
from server.people.roles import Role
from tests.e2e.playwright_api import Browser, BrowserContext, Locator, Page, WebSocket, expect
from tests.e2e.room import (
    Frames,
    RelayRefusal,
    RoomSocketLine,
    accept_dialogs,
    enrol_and_join,
    move_next_session_to_soon,
    open_room_without_lobby,
    record_frames,
    status,
)
from tests.e2e.servers import browser_contexts, tupa_server
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in


class LineFrames(Frames):
    """The frames of every socket through a RoomSocketLine (which record_frames does not see)."""

    def __init__(self, line: RoomSocketLine) -> None:
        super().__init__()
        self.line = line

    def of(self, frame_type: str, *, received: bool = True) -> list[dict[str, Any]]:
        return [
            frame
            for connection in self.line.connections
            for frame in (connection.received if received else connection.sent)
            if frame.get("type") == frame_type
        ]


pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

SERIES_TITLE = "Minä, tunteet ja taidot – talven ryhmä"  # demo data, media mode "group"
PIHLAJA = "Pihlaja"
VAAHTERA = "Vaahtera"  # the demo already enrols a "Kanerva" in this series
VOLUNTEER = next(a for a in DEMO_ACCOUNTS if a.role is Role.VOLUNTEER)
assert VOLUNTEER.alias is not None
VOLUNTEER_ALIAS: str = VOLUNTEER.alias
MEDIA_TIMEOUT_MS = 20_000
RECONNECT_TIMEOUT_MS = 40_000

DECODED_VIDEO_FRAMES = """
async (name) => {
  const stats = await window.__tupaMedia.stats();
  return stats[name]?.video?.framesDecoded ?? 0;
}
"""


def tile(page: Page, name: str) -> Locator:
    return page.locator("#media-tiles > li.media-tile").filter(
        has=page.locator(".tile-name-text", has_text=re.compile(rf"^{name}$"))
    )


def record_errors(page: Page) -> list[dict[str, Any]]:
    """The `error` frames the room sends to this page (none are expected here)."""
    errors: list[dict[str, Any]] = []

    def on_socket(socket: WebSocket) -> None:
        def received(payload: str | bytes) -> None:
            frame = json.loads(payload)
            if frame.get("type") == "error":
                errors.append(frame)

        socket.on("framereceived", received)

    page.on("websocket", on_socket)
    return errors


def settled(page: Page) -> None:
    """In the open room: the status box above has folded away, so buttons stay where they are."""
    expect(page.locator("#room-status")).to_have_attribute("data-tone", "none")
    expect(page.locator("#media")).to_be_visible()


def decoded_frames(page: Page, name: str) -> int:
    frames: int = page.evaluate(DECODED_VIDEO_FRAMES, name)
    return frames


def wait_for_video_from(page: Page, name: str) -> None:
    """The page decodes `name`'s video, and keeps decoding it (two readings a second apart)."""
    page.wait_for_function("() => window.__tupaMedia !== undefined")
    deadline = time.monotonic() + MEDIA_TIMEOUT_MS / 1000
    readings: list[tuple[int, int]] = []
    while True:
        # A count that falls between the readings is a new video element (a publication
        # replaced): the old one was read first. Read the new one again.
        if (first := decoded_frames(page, name)) > 0:
            page.wait_for_timeout(1000)
            if (second := decoded_frames(page, name)) > first:
                return
            readings.append((first, second))
        assert time.monotonic() < deadline, (f"no steady video from {name}", readings)
        page.wait_for_timeout(200)


def test_two_parents_see_each_other_and_a_facilitator_stops_a_microphone(
    new_context: NewContext, tmp_path: Path
) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)

    # Two parents enrol and join; they wait until the room opens.
    pihlaja = new_context(lang="en").new_page()
    pihlaja_errors = record_errors(pihlaja)
    vaahtera_context = new_context(lang="en")
    vaahtera_line = RoomSocketLine(vaahtera_context)
    vaahtera = vaahtera_context.new_page()
    for page, name in ((pihlaja, PIHLAJA), (vaahtera, VAAHTERA)):
        enrol_and_join(page, series_id, session_id, name)
        expect(status(page)).to_contain_text("not open yet")
        expect(page.locator("#media")).to_be_hidden()

    # The facilitator turns the lobby off and opens the room: the parents come straight in.
    facilitator = new_context(lang="en").new_page()
    facilitator_errors = record_errors(facilitator)
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    for page in (pihlaja, vaahtera):
        expect(page.locator("#room-grid")).to_be_visible()
        expect(page.locator("#member-list > li.member")).to_have_count(3)

    # Nothing is captured before the parents ask for it; then both join with camera and mic.
    for page in (pihlaja, vaahtera):
        settled(page)
        expect(page.locator("#media-controls")).to_be_hidden()
        expect(page.locator("#media-tiles > li.media-tile.own")).to_have_count(0)
        page.locator("#media-start").click()
        expect(page.locator("#media-controls")).to_be_visible()
        expect(page.locator("#media-mic")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#media-camera")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#media-blur")).to_have_attribute("aria-pressed", "false")
        expect(page.locator("#media-problem")).to_be_hidden()

    # Each receives the other's video, under the other's pseudonym.
    wait_for_video_from(pihlaja, VAAHTERA)
    wait_for_video_from(vaahtera, PIHLAJA)
    expect(tile(vaahtera, PIHLAJA).locator("video")).to_be_visible()
    expect(tile(pihlaja, VAAHTERA).locator("video")).to_be_visible()
    pihlaja_audio = tile(vaahtera, PIHLAJA).locator("audio")
    expect(pihlaja_audio).to_have_count(1)
    assert pihlaja_audio.evaluate("audio => audio.muted") is False

    # The volunteer comes in under her alias with her face hidden from the start: what leaves
    # her browser is the blurred canvas, never the camera's own track.
    volunteer = new_context(lang="en").new_page()
    volunteer_errors = record_errors(volunteer)
    log_in(volunteer, VOLUNTEER.email)
    volunteer.goto(f"/staff/sessions/{session_id}/room")
    settled(volunteer)
    volunteer.locator("#media-start").click()
    expect(volunteer.locator("#media-problem")).to_be_hidden()
    expect(volunteer.locator("#media-controls")).to_be_visible()
    expect(volunteer.locator("#media-blur")).to_have_attribute("aria-pressed", "true")
    expect(volunteer.locator("#media-note")).to_contain_text("blurred")
    wait_for_video_from(pihlaja, VOLUNTEER_ALIAS)
    assert VOLUNTEER.real_name not in pihlaja.content()
    expect(
        tile(pihlaja, VOLUNTEER_ALIAS).locator(".tile-badge").filter(has_text="Face hidden")
    ).to_be_visible()
    sent = volunteer.evaluate(
        """() => window.__tupaMedia.connections().flatMap(({ pc }) => pc.getSenders())
              .filter((s) => s.track && s.track.kind === "video")
              .map((s) => s.track instanceof CanvasCaptureMediaStreamTrack)"""
    )
    assert sent and all(sent), sent

    # The facilitator (who has not joined with a camera) sees both and stops Pihlaja's microphone.
    stop_mic = tile(facilitator, PIHLAJA).locator('button[data-media="mic"]')
    expect(stop_mic).to_contain_text("Stop microphone")
    stop_mic.click()
    expect(stop_mic).to_contain_text("Allow microphone")

    # Vaahtera stops hearing Pihlaja at once; the tile and the live region say why.
    expect(tile(vaahtera, PIHLAJA).locator(".tile-badge.mic-stopped")).to_contain_text(
        "Microphone stopped by the facilitator"
    )
    pihlaja_peer = tile(vaahtera, PIHLAJA).get_attribute("data-peer")
    vaahtera.wait_for_function(
        "(peer) => document.querySelector(`#media-tiles audio[data-peer='${peer}']`).muted",
        arg=pihlaja_peer,
    )
    assert pihlaja_audio.evaluate("audio => audio.srcObject.getAudioTracks()[0].enabled") is False
    expect(vaahtera.locator("#media-announce")).to_contain_text(PIHLAJA)

    # Pihlaja's own microphone is off and its button disabled, with the reason next to it.
    expect(pihlaja.locator("#media-mic")).to_be_disabled()
    expect(pihlaja.locator("#media-mic")).to_have_attribute("aria-pressed", "false")
    expect(pihlaja.locator("#media-note")).to_contain_text("stopped your microphone")
    # Her connections renegotiate without sending audio (the server would refuse otherwise),
    # and the video keeps flowing.
    pihlaja.wait_for_function(
        """() => window.__tupaMedia.connections().every(({ pc }) => pc.getTransceivers()
              .filter((t) => t.receiver.track.kind === "audio")
              .every((t) => ["recvonly", "inactive"].includes(t.currentDirection)))""",
        timeout=MEDIA_TIMEOUT_MS,
    )
    wait_for_video_from(vaahtera, PIHLAJA)

    # Allowed again: Vaahtera's page plays her again; she may turn the microphone back on.
    stop_mic.click()
    expect(stop_mic).to_contain_text("Stop microphone")
    vaahtera.wait_for_function(
        "(peer) => !document.querySelector(`#media-tiles audio[data-peer='${peer}']`).muted",
        arg=pihlaja_peer,
    )
    expect(pihlaja.locator("#media-mic")).to_be_enabled()
    pihlaja.locator("#media-mic").click()
    expect(pihlaja.locator("#media-mic")).to_have_attribute("aria-pressed", "true")
    expect(tile(vaahtera, PIHLAJA).locator(".tile-badge.mic-off")).to_be_hidden()

    # Vaahtera's socket drops: her page reconnects by itself and builds the video afresh, still
    # sending (she did not have to press anything again).
    vaahtera_line.cut()
    expect(status(vaahtera)).to_contain_text("Reconnecting")
    vaahtera_line.restore()
    expect(status(vaahtera)).not_to_contain_text("Reconnecting", timeout=RECONNECT_TIMEOUT_MS)
    expect(vaahtera.locator("#media-mic")).to_have_attribute("aria-pressed", "true")
    wait_for_video_from(vaahtera, PIHLAJA)
    wait_for_video_from(pihlaja, VAAHTERA)

    # Nothing along the way was refused.
    vaahtera_errors = [
        frame
        for connection in vaahtera_line.connections
        for frame in connection.received
        if frame.get("type") == "error"
    ]
    assert pihlaja_errors == vaahtera_errors == facilitator_errors == volunteer_errors == []

    # For a look at the layout on a phone: E2E_SCREENSHOT_DIR=/some/dir keeps them.
    shots = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tmp_path)
    for page, name in ((vaahtera, "parent"), (facilitator, "facilitator")):
        page.set_viewport_size({"width": 360, "height": 740})
        page.locator("#media").scroll_into_view_if_needed()
        page.screenshot(path=shots / f"media-{name}-phone.png")


# ---- through the relay ---------------------------------------------------------------------------

STAGE_SERIES_TITLE = "Tietoa ja tukea lapsiperheen eroon"  # demo data, media mode "stage"
VIEWERS = ("Kataja", "Lehmus", "Saarni")
HAAPA = "Haapa"  # the third parent of the group that outgrows the mesh

# Every connection the page holds: mesh links and relay subscriptions by person, the publication
# to the relay with `peer: null`; with the endpoints of the ICE pair in use.
CONNECTIONS = """
async () => {
  const out = [];
  for (const { peer, name, relay, pc } of window.__tupaMedia.connections()) {
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) {
        pair = stats.get(s.selectedCandidatePairId);
      }
    });
    const end = (id) => {
      const c = id && stats.get(id);
      return c ? `${c.address || c.ip}:${c.port}` : null;
    };
    out.push({ peer, name, relay, state: pc.connectionState,
               local: end(pair?.localCandidateId), remote: end(pair?.remoteCandidateId) });
  }
  return out;
}
"""
INBOUND = """
async ([name, kind, field]) => (await window.__tupaMedia.stats())[name]?.[kind]?.[field] ?? 0
"""
PUBLISHED = """
async ([kind, field]) => (await window.__tupaMedia.published())?.[kind]?.[field] ?? 0
"""
# An audience member's own socket (a second tab, as a modified page could open) asks the relay
# to take an offer that sends audio and video. Returns the server's reply.
AUDIENCE_PUBLISHES = """
async () => {
  const url = new URL(document.getElementById("room").dataset.wsPath, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(url.href);
  const seen = [];
  const next = (wanted) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply: ${JSON.stringify(seen)}`)), 10000);
    ws.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      seen.push(frame.type);
      if (wanted(frame)) {
        clearTimeout(timer);
        resolve(frame);
      }
    });
  });
  await new Promise((resolve) => ws.addEventListener("open", resolve, { once: true }));
  const welcome = next((f) => f.type === "welcome");
  ws.send(JSON.stringify({ type: "hello", v: 1 }));
  await welcome;
  const pc = new RTCPeerConnection();
  pc.addTransceiver("audio", { direction: "sendonly" });
  pc.addTransceiver("video", { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription.sdp;
  pc.close();
  const reply = next((f) => f.type === "relay" || (f.type === "error" && f.cid === "audience-1"));
  ws.send(JSON.stringify({ type: "relay", kind: "publish", sdp, cid: "audience-1" }));
  try {
    return { reply: await reply, sends: /a=sendonly/.test(sdp) };
  } finally {
    ws.close();
  }
}
"""
# Counts getUserMedia calls: switching topology must not ask for the camera again.
COUNT_CAPTURES = """
(() => {
  window.__captures = 0;
  const devices = navigator.mediaDevices;
  if (!devices) return;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => {
    window.__captures += 1;
    return original(constraints);
  };
})();
"""


def connections(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(CONNECTIONS)
    return found


def inbound(page: Page, name: str, kind: str, counter: str) -> int:
    value: int = page.evaluate(INBOUND, [name, kind, counter])
    return value


def published(page: Page, kind: str, counter: str) -> int:
    value: int = page.evaluate(PUBLISHED, [kind, counter])
    return value


def wait_for_topology(page: Page, topology: str) -> None:
    page.wait_for_function(
        "(t) => window.__tupaMedia?.topology() === t", arg=topology, timeout=MEDIA_TIMEOUT_MS
    )


# Waiting is done with Playwright's own wait_for_timeout, never time.sleep: the sync API hands
# over events (the frames record_frames keeps, console messages) only while it is called.


def wait_until_growing(
    page: Page, read: Callable[[], int], what: str, timeout_s: float = 20
) -> None:
    """`read()` grows between two readings a second apart, within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    before = read()
    while True:
        page.wait_for_timeout(1000)
        now = read()
        if now > before:
            return
        assert time.monotonic() < deadline, f"{what} stays at {now}"
        before = now


def all_decoding(pairs: list[tuple[Page, str]], since: float) -> float:
    """Waits until each page has decoded video from the named person; seconds since `since`."""
    waiting = list(pairs)
    while waiting:
        assert time.monotonic() - since < MEDIA_TIMEOUT_MS / 1000, f"no video yet: {waiting}"
        waiting = [(page, name) for page, name in waiting if decoded_frames(page, name) == 0]
        pairs[0][0].wait_for_timeout(50)
    return time.monotonic() - since


def publish_offers(page: Page, frames: Frames, count: int) -> list[str]:
    """The SDP of each `relay` `publish` the page has sent, once there are `count` of them."""
    deadline = time.monotonic() + MEDIA_TIMEOUT_MS / 1000
    while True:
        offers = [f["sdp"] for f in frames.of("relay", received=False) if f["kind"] == "publish"]
        if len(offers) >= count:
            return offers
        assert time.monotonic() < deadline, f"{len(offers)} publications, not {count}"
        page.wait_for_timeout(100)


def directions(sdp: str) -> dict[str, str]:
    """Each media section's direction in an SDP, by kind."""
    found: dict[str, str] = {}
    kind = None
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split()[0]
        elif kind and line[2:] in ("sendrecv", "sendonly", "recvonly", "inactive"):
            found[kind] = line[2:]
    return found


def codecs(sdp: str) -> dict[str, set[str]]:
    """The codecs each media section of an SDP offers, by kind."""
    found: dict[str, set[str]] = {}
    kind = ""
    for line in sdp.splitlines():
        if line.startswith("m="):
            kind = line[2:].split()[0]
        elif line.startswith("a=rtpmap:"):
            found.setdefault(kind, set()).add(line.split()[1].split("/")[0])
    return found


def join_media(page: Page) -> None:
    settled(page)
    page.locator("#media-start").click()
    expect(page.locator("#media-controls")).to_be_visible()
    expect(page.locator("#media-camera")).to_have_attribute("aria-pressed", "true")


def test_a_stage_volunteer_reaches_three_viewers_through_the_relay(
    new_context: NewContext, tmp_path: Path
) -> None:
    coordinator_context = new_context(lang="en")
    coordinator = coordinator_context.new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, STAGE_SERIES_TITLE)
    coordinator_context.close()  # two cores: as few browsers as the test needs

    viewers: list[tuple[str, Page, Frames]] = []
    for name in VIEWERS[:-1]:
        page = new_context(lang="en").new_page()
        frames = record_frames(page)
        enrol_and_join(page, series_id, session_id, name)
        viewers.append((name, page, frames))
    # The last viewer's socket goes through a line the test can cut (a network drop, below).
    last_context = new_context(lang="en")
    last_line = RoomSocketLine(last_context)
    last = last_context.new_page()
    enrol_and_join(last, series_id, session_id, VIEWERS[-1])
    viewers.append((VIEWERS[-1], last, LineFrames(last_line)))

    facilitator_context = new_context(lang="en")
    relay_down_once = RelayRefusal(facilitator_context)
    facilitator = facilitator_context.new_page()
    facilitator_frames = relay_down_once.frames
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)

    for _name, page, _frames in viewers:
        expect(page.locator("#room-grid")).to_be_visible()
        settled(page)
        # The audience gets no capture controls: it watches and listens.
        expect(page.locator("#media-receiving")).to_be_visible()
        expect(page.locator("#media-join")).to_be_hidden()
        wait_for_topology(page, "relay")  # a stage always uses the relay

    # The volunteer goes on stage (face hidden from the start, as always for volunteers).
    volunteer = new_context(lang="en").new_page()
    volunteer_frames = record_frames(volunteer)
    log_in(volunteer, VOLUNTEER.email)
    volunteer.goto(f"/staff/sessions/{session_id}/room")
    settled(volunteer)
    started = time.monotonic()
    volunteer.locator("#media-start").click()
    expect(volunteer.locator("#media-controls")).to_be_visible()
    first_page = viewers[0][1]
    first_page.wait_for_function("() => window.__tupaMedia !== undefined")
    while decoded_frames(first_page, VOLUNTEER_ALIAS) == 0:
        assert time.monotonic() - started < MEDIA_TIMEOUT_MS / 1000, "no video through the relay"
        first_page.wait_for_timeout(50)
    first_frame_s = time.monotonic() - started
    print(f"\nfirst video frame through the relay {first_frame_s:.2f} s after joining")

    for _name, page, _frames in viewers:
        wait_for_video_from(page, VOLUNTEER_ALIAS)
        # The speaker view: her tile is the big one; the audience has no tiles.
        expect(page.locator("#media-tiles > li.media-tile")).to_have_count(1)
        expect(tile(page, VOLUNTEER_ALIAS)).to_have_class(re.compile(r"\bfeatured\b"))
        expect(tile(page, VOLUNTEER_ALIAS).locator("audio")).to_have_count(1)

    # The volunteer's browser has one connection, to the relay (not one per viewer) ...
    sending = connections(volunteer)
    assert [(c["peer"], c["relay"], c["state"]) for c in sending] == [(None, True, "connected")]
    volunteer_end = sending[0]["local"]
    relay_end = sending[0]["remote"]
    sent = volunteer.evaluate(
        """() => window.__tupaMedia.connections().flatMap(({ pc }) => pc.getSenders())
              .filter((s) => s.track && s.track.kind === "video")
              .map((s) => s.track instanceof CanvasCaptureMediaStreamTrack)"""
    )
    assert sent == [True], sent  # the blurred picture, never the camera's own
    # ... and each viewer exactly one, receiving only, from the relay and not from her.
    for name, page, frames in viewers:
        (link,) = connections(page)
        assert link["relay"] and link["state"] == "connected", (name, link)
        assert link["remote"] not in (None, volunteer_end, relay_end), (name, link)
        directions = page.evaluate(
            """() => window.__tupaMedia.connections().flatMap(({ pc }) =>
                  pc.getTransceivers().map((t) => t.currentDirection))"""
        )
        assert sorted(directions) == ["recvonly", "recvonly"], (name, directions)
        assert frames.of("signal") == frames.of("signal", received=False) == [], name
        assert [f["kind"] for f in frames.of("relay")] == ["offer"], name
        assert [f["kind"] for f in frames.of("relay", received=False)] == ["subscribe", "answer"]
    assert volunteer_frames.of("signal", received=False) == []
    assert [f["kind"] for f in volunteer_frames.of("relay", received=False)] == ["publish"]
    # The facilitator, on stage too but without a camera, sees the volunteer as well.
    wait_for_video_from(facilitator, VOLUNTEER_ALIAS)

    # (b) An audience member's offer to publish through the relay is refused by the server.
    name, page, frames = viewers[0]
    attempt = page.evaluate(AUDIENCE_PUBLISHES)
    assert attempt["sends"], attempt
    reply = attempt["reply"]
    assert (reply["type"], reply["code"], reply["cid"]) == ("error", "not_allowed", "audience-1")
    # Nobody started receiving anything from the audience.
    for _name, viewer, _frames in viewers:
        expect(viewer.locator("#media-tiles > li.media-tile")).to_have_count(1)
    assert len(connections(volunteer)) == 1

    for name, _page, viewer_frames in viewers:
        refused = [error for error in viewer_frames.errors if error.get("cid") != "audience-1"]
        assert refused == [], (name, refused)
    assert facilitator_frames.errors == volunteer_frames.errors == []

    # The facilitator goes on stage too. The relay is unreachable at first: her media panel says
    # so (not the chat), and her page tries again by itself.
    join_media(facilitator)
    relay_note = facilitator.locator("#media-relay-note")
    expect(relay_note).to_have_text(re.compile(r"^Video is not available right now\."))
    assert len(relay_down_once.refused) == 1
    expect(relay_note).to_be_hidden(timeout=MEDIA_TIMEOUT_MS)  # connected on the next try
    expect(facilitator.locator("#room-notice")).not_to_contain_text("not available")
    assert [e["code"] for e in facilitator_frames.errors] == ["relay_unavailable"]
    # The viewers get her as well: one big tile (whoever is speaking; before anyone is heard,
    # the facilitator) and the other in the strip below.
    facilitator_name = facilitator.locator("#media-tiles > li.own .tile-name-text").inner_text()
    for _name, viewer, _frames in viewers:
        wait_for_video_from(viewer, facilitator_name)
        expect(viewer.locator("#media-tiles > li.media-tile")).to_have_count(2)
        expect(viewer.locator("#media-tiles > li.featured")).to_have_count(1)
        assert len(connections(viewer)) == 2  # one subscription per speaker, nothing sent
    expect(tile(page, facilitator_name)).to_have_class(re.compile(r"\bfeatured\b"))
    # Once the page may analyse sound (any click), the big tile follows who is heard, and says
    # so to screen readers inside the tile (not in a live region: no announcement per change).
    page.locator("#media-title").click()
    speaking_now = page.locator("#media-tiles > li.featured > .visually-hidden")
    expect(speaking_now).to_have_text(re.compile(r"^Speaking now: "), timeout=MEDIA_TIMEOUT_MS)
    assert page.locator("#media-announce").inner_text() == ""

    # The speaker view on a phone and on a desktop: E2E_SCREENSHOT_DIR=/some/dir keeps them.
    shots = Path(os.environ.get("E2E_SCREENSHOT_DIR") or tmp_path)
    for width, height, label in ((360, 740, "phone"), (1280, 800, "desktop")):
        page.set_viewport_size({"width": width, "height": height})
        page.locator("#media").scroll_into_view_if_needed()
        page.screenshot(path=shots / f"stage-viewer-{label}.png")
    facilitator.set_viewport_size({"width": 360, "height": 740})
    facilitator.locator("#media").scroll_into_view_if_needed()
    facilitator.screenshot(path=shots / "stage-facilitator-phone.png")

    # A viewer's network drops: the page reconnects by itself and subscribes afresh.
    last_line.cut()
    expect(status(last)).to_contain_text("Reconnecting")
    last_line.restore()
    expect(status(last)).not_to_contain_text("Reconnecting", timeout=RECONNECT_TIMEOUT_MS)
    wait_for_video_from(last, VOLUNTEER_ALIAS)
    wait_for_video_from(last, facilitator_name)
    assert len(last_line.connections) == 2
    assert len(connections(last)) == 2


@pytest.fixture(scope="module")
def small_mesh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server whose group rooms use the mesh for at most two people who may publish."""
    with tupa_server(tmp_path_factory.mktemp("tupa-mesh-2"), TUPA_MESH_LIMIT="2") as url:
        yield url


@pytest.fixture
def small_mesh_context(browser: Browser, small_mesh_server: str) -> Iterator[NewContext]:
    """Browser contexts (one per person) on `small_mesh_server`, in English."""
    with browser_contexts(browser, small_mesh_server, default_lang="en") as open_context:
        yield open_context


def test_a_group_moves_to_the_relay_and_back_without_reloading(
    small_mesh_context: NewContext,
) -> None:
    new_context = small_mesh_context
    coordinator_context = new_context()
    coordinator = coordinator_context.new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)
    coordinator_context.close()

    parents: dict[str, tuple[Page, Frames]] = {}

    def parent(name: str) -> Page:
        context = new_context()
        context.add_init_script(COUNT_CAPTURES)
        page = context.new_page()
        parents[name] = (page, record_frames(page))
        enrol_and_join(page, series_id, session_id, name)
        page.evaluate("window.__sameDocument = true")  # a reload would lose it
        return page

    pihlaja, vaahtera = parent(PIHLAJA), parent(VAAHTERA)

    # The facilitator opens the room and leaves: two parents, two may publish: the mesh.
    facilitator_context = new_context()
    facilitator = facilitator_context.new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    facilitator_context.close()
    for page in (pihlaja, vaahtera):
        expect(page.locator("#room-grid")).to_be_visible()
        wait_for_topology(page, "mesh")
        join_media(page)
    wait_for_video_from(pihlaja, VAAHTERA)
    wait_for_video_from(vaahtera, PIHLAJA)
    for page in (pihlaja, vaahtera):
        assert [c["relay"] for c in connections(page)] == [False]

    # (While the facilitator was in, they were three: the relay; what counts is what comes now.)
    seen = {name: len(frames.of("topology")) for name, (_page, frames) in parents.items()}

    # A third parent comes in: above the limit, everyone moves to the relay and sees everyone.
    haapa = parent(HAAPA)
    expect(haapa.locator("#room-grid")).to_be_visible()
    wait_for_topology(haapa, "relay")
    switched = time.monotonic()
    for page in (pihlaja, vaahtera):
        wait_for_topology(page, "relay")
    # The two who were sending reach each other through the relay, without pressing anything.
    took = all_decoding([(pihlaja, VAAHTERA), (vaahtera, PIHLAJA)], switched)
    print(f"\nmesh to relay: video again {took:.2f} s after the switch")
    joined = time.monotonic()
    join_media(haapa)
    everyone = {PIHLAJA: pihlaja, VAAHTERA: vaahtera, HAAPA: haapa}
    pairs = [
        (page, other) for name, page in everyone.items() for other in everyone if other != name
    ]
    took = all_decoding(pairs, joined)
    print(f"a third sender: all three decode each other {took:.2f} s after she pressed join")
    for page, other in pairs:
        wait_for_video_from(page, other)
    for name, page in everyone.items():
        links = connections(page)
        assert sorted((c["relay"], c["peer"] is None) for c in links) == [
            (True, False),
            (True, False),
            (True, True),
        ], (name, links)
        assert all(c["state"] == "connected" for c in links), (name, links)
    for name in (PIHLAJA, VAAHTERA):
        page, frames = parents[name]
        assert [f["topology"] for f in frames.of("topology")[seen[name] :]] == ["relay"], name
        # No mesh offer or answer was refused on the way. A late candidate or bye to the
        # facilitator who left is refused as unknown_peer (errors name no frame); a refused
        # offer or answer would also have left a pair above without video.
        refused = [e for e in frames.errors if e.get("code") != "unknown_peer"]
        assert refused == [], (name, frames.errors)

    # (d) The facilitator comes back and stops Pihlaja's microphone: the relay stops forwarding
    # it, even though her browser (tampered with here) goes on sending sound.
    facilitator_context = new_context()
    facilitator = facilitator_context.new_page()
    accept_dialogs(facilitator)
    log_in(facilitator, FACILITATOR_EMAIL)
    facilitator.goto(f"/staff/sessions/{session_id}/room")
    settled(facilitator)
    for name, page in ((VAAHTERA, vaahtera), (HAAPA, haapa)):
        wait_until_growing(
            page,
            partial(inbound, page, PIHLAJA, "audio", "packetsReceived"),
            f"{name}'s sound from {PIHLAJA}",
        )
    stop_mic = tile(facilitator, PIHLAJA).locator('button[data-media="mic"]')
    stop_mic.click()
    expect(stop_mic).to_contain_text("Allow microphone")
    expect(pihlaja.locator("#media-mic")).to_be_disabled()
    pihlaja.evaluate(
        """() => window.__tupaMedia.connections().filter((c) => c.peer === null)
              .flatMap(({ pc }) => pc.getSenders())
              .filter((s) => s.track && s.track.kind === "audio")
              .forEach((s) => { s.track.enabled = true; })"""
    )
    pihlaja.wait_for_timeout(1000)  # what was on its way arrives
    listeners = {VAAHTERA: vaahtera, HAAPA: haapa}
    heard = {
        name: inbound(page, PIHLAJA, "audio", "packetsReceived") for name, page in listeners.items()
    }
    sent_before = published(pihlaja, "audio", "packetsSent")
    pihlaja.wait_for_timeout(3000)
    assert published(pihlaja, "audio", "packetsSent") > sent_before + 50  # she still sends
    for name, before in heard.items():
        after = inbound(listeners[name], PIHLAJA, "audio", "packetsReceived")
        assert after - before <= 2, (name, before, after)  # nothing forwarded
    wait_for_video_from(vaahtera, PIHLAJA)  # her video still flows

    # She stops her camera and microphone and joins again while the microphone is still
    # stopped: her new publication offers no sound at all (the server would refuse one that
    # did), and her video reaches the others through it.
    pihlaja_frames = parents[PIHLAJA][1]
    pihlaja.locator("#media-leave").click()
    expect(pihlaja.locator("#media-start")).to_be_visible()
    pihlaja.locator("#media-start").click()
    expect(pihlaja.locator("#media-controls")).to_be_visible()
    publishes = publish_offers(pihlaja, pihlaja_frames, 2)
    assert directions(publishes[-1]) == {"audio": "inactive", "video": "sendonly"}
    wait_for_video_from(vaahtera, PIHLAJA)

    # Allowed again: her page publishes anew, now with sound; with her microphone back on the
    # others hear her again.
    stop_mic.click()
    expect(stop_mic).to_contain_text("Stop microphone")
    publishes = publish_offers(pihlaja, pihlaja_frames, 3)
    assert directions(publishes[-1]) == {"audio": "sendonly", "video": "sendonly"}
    # Only what the relay forwards is offered: Opus, and VP8 with its retransmissions.
    assert codecs(publishes[-1]) == {"audio": {"opus"}, "video": {"VP8", "rtx"}}
    expect(pihlaja.locator("#media-mic")).to_be_enabled()
    pihlaja.locator("#media-mic").click()
    expect(pihlaja.locator("#media-mic")).to_have_attribute("aria-pressed", "true")
    for name, page in ((VAAHTERA, vaahtera), (HAAPA, haapa)):
        wait_until_growing(
            page,
            partial(inbound, page, PIHLAJA, "audio", "packetsReceived"),
            f"{name}'s sound from {PIHLAJA} after it was allowed",
        )
    facilitator_context.close()

    # Haapa leaves: two are left, back to the mesh, and the video flows again.
    captures = {name: page.evaluate("window.__captures") for name, (page, _f) in parents.items()}
    haapa.context.close()
    for page in (pihlaja, vaahtera):
        wait_for_topology(page, "mesh")
    took = all_decoding([(pihlaja, VAAHTERA), (vaahtera, PIHLAJA)], time.monotonic())
    print(f"video through the mesh again {took:.2f} s after the switch back")
    wait_for_video_from(pihlaja, VAAHTERA)
    wait_for_video_from(vaahtera, PIHLAJA)
    for name in (PIHLAJA, VAAHTERA):
        page, frames = parents[name]
        moves = [f["topology"] for f in frames.of("topology")[seen[name] :]]
        assert moves == ["relay", "mesh"], name
        assert [c["relay"] for c in connections(page)] == [False], name
        assert {"kind": "leave"}.items() <= next(
            f for f in frames.of("relay", received=False) if f["kind"] == "leave"
        ).items()
        # The same page all along, and the camera was not asked for again on any switch.
        assert page.evaluate("window.__sameDocument"), name
        assert page.evaluate("window.__captures") == captures[name], name
        expect(page.locator("#media-camera")).to_have_attribute("aria-pressed", "true")
        assert frames.errors == [], (name, frames.errors)
