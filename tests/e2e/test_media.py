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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import BrowserContext, Locator, Page, WebSocket, expect
except ImportError as exc:  # the same rule as conftest.py: skip, or fail where required
    if os.environ.get("TUPA_REQUIRE_SERVICES") == "1":
        raise
    pytest.skip(f"the playwright package cannot be imported: {exc}", allow_module_level=True)

from server.demo import DEMO_ACCOUNTS
from server.people.roles import Role
from tests.e2e.room import (
    move_next_session_to_soon,
    open_room_without_lobby,
    status,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in
from tests.e2e.test_live_room import RoomSocketLine, enrol_and_join

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
    while (first := decoded_frames(page, name)) == 0:
        assert time.monotonic() < deadline, f"no video from {name}"
        page.wait_for_timeout(200)
    page.wait_for_timeout(1000)
    second = decoded_frames(page, name)
    assert second > first > 0, (name, first, second)


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


STAGE_SERIES_TITLE = "Tietoa ja tukea lapsiperheen eroon"  # demo data, media mode "stage"
KATAJA = "Kataja"


def test_a_stage_audience_receives_the_facilitator_without_sending(new_context: NewContext) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, STAGE_SERIES_TITLE)

    parent = new_context(lang="en").new_page()
    parent_errors = record_errors(parent)
    enrol_and_join(parent, series_id, session_id, KATAJA)

    facilitator = new_context(lang="en").new_page()
    facilitator_errors = record_errors(facilitator)
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    expect(parent.locator("#room-grid")).to_be_visible()

    # The audience gets no capture controls: it watches and listens.
    expect(parent.locator("#media")).to_be_visible()
    expect(parent.locator("#media-receiving")).to_be_visible()
    expect(parent.locator("#media-join")).to_be_hidden()
    expect(parent.locator("#media-controls")).to_be_hidden()

    # The facilitator goes on stage; the parent sees and hears her, and has no tile of her own.
    expect(facilitator.locator("#media-receiving")).to_be_hidden()
    settled(facilitator)
    facilitator.locator("#media-start").click()
    expect(facilitator.locator("#media-camera")).to_have_attribute("aria-pressed", "true")
    facilitator_name = facilitator.locator("#media-tiles > li.media-tile.own .tile-name-text")
    name = facilitator_name.inner_text()
    wait_for_video_from(parent, name)
    expect(parent.locator("#media-tiles > li.media-tile")).to_have_count(1)
    expect(tile(parent, name).locator("audio")).to_have_count(1)
    # The audience is not on stage: the facilitator sees only herself.
    expect(facilitator.locator("#media-tiles > li.media-tile")).to_have_count(1)

    # The parent's browser answered without offering to send anything.
    directions = parent.evaluate(
        """() => window.__tupaMedia.connections().flatMap(({ pc }) =>
              pc.getTransceivers().map((t) => t.currentDirection))"""
    )
    assert directions and set(directions) == {"recvonly"}, directions
    assert parent_errors == facilitator_errors == []
