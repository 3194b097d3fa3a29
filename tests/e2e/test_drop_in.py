"""End to end, in Chromium: dropping in to a live stage session without enrolling (issue 16).

The coordinator lets the eroneuvo live's series take drop-in viewers; the facilitator opens the
room and goes on stage. A visitor opens the group's public page, joins with a pseudonym, sees the
speaker and the chat, and asks a question. The facilitator bans them: a reload and a new join
from the same browser are refused, while another visitor still joins. The facilitator ends the
live; the other visitor gives feedback, once; the attendance page counts both drop-in viewers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.e2e.playwright_api import BrowserContext, Page, expect
from tests.e2e.room import (
    chat_texts,
    move_next_session_to_soon,
    open_room_without_lobby,
    say,
    status,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

STAGE_SERIES_TITLE = "Tietoa ja tukea lapsiperheen eroon"  # demo data, media mode "stage"
MEDIA_TIMEOUT_MS = 20_000
# Whether the page decodes video from anyone (the speaker on stage).
DECODING = """
async () => Object.values(await window.__tupaMedia.stats())
  .some((s) => (s?.video?.framesDecoded ?? 0) > 0)
"""


def drop_in(page: Page, series_id: str, pseudonym: str) -> None:
    """Opens the group's public page and joins the live under ``pseudonym``."""
    page.goto(f"/series/{series_id}")
    live = page.locator("section.live-now")
    expect(live).to_be_visible()
    expect(live.locator('input[name="csrf_token"]')).to_have_value(re.compile(r".{16,}"))
    live.locator("#live-pseudonym").fill(pseudonym)
    live.get_by_role("button", name="Join the live now").click()


def test_a_visitor_drops_in_is_banned_for_the_series_and_another_still_joins(
    new_context: NewContext,
) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, STAGE_SERIES_TITLE)
    coordinator.goto(f"/staff/series/{series_id}")
    setting = coordinator.locator("section[aria-labelledby=drop-in-heading]")
    setting.get_by_label("Let visitors join a running stage session without enrolling").check()
    setting.get_by_role("button", name="Save").click()
    expect(coordinator).to_have_url(re.compile(rf"/staff/series/{series_id}\?done=drop_in$"))

    # Before the room opens the public page offers no live.
    visitor = new_context(lang="en").new_page()
    visitor.goto(f"/series/{series_id}")
    expect(visitor.locator("h1")).to_be_visible()
    expect(visitor.locator("section.live-now")).to_have_count(0)

    facilitator = new_context(lang="en").new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    facilitator.locator("#media-start").click()
    expect(facilitator.locator("#media-controls")).to_be_visible()

    # The visitor joins: the address bar never holds anything that opens the room.
    drop_in(visitor, series_id, "Ulpukka")
    expect(visitor).to_have_url(re.compile(rf"/me/sessions/{session_id}/room$"))
    expect(visitor.locator("#room-grid")).to_be_visible()
    expect(visitor.locator("#quick-exit, .quick-exit").first).to_be_attached()
    expect(visitor.locator("#media-receiving")).to_be_visible()
    expect(visitor.locator("#media-tiles > li.media-tile")).to_have_count(1)
    visitor.wait_for_function("() => window.__tupaMedia !== undefined")
    visitor.wait_for_function(DECODING, timeout=MEDIA_TIMEOUT_MS, polling=200)
    say(facilitator, "Tervetuloa eroneuvo liveen!")
    expect(chat_texts(visitor).filter(has_text="Tervetuloa eroneuvo liveen!")).to_have_count(1)
    # The same safety as a parent: Help now, and a question before identifying details go out.
    expect(visitor.locator("summary", has_text="Help now").first).to_be_attached()
    box = visitor.locator("#chat-text")
    box.fill("Soita mulle 040 123 4567")
    box.press("Enter")
    dialog = visitor.get_by_role("dialog", name="Send this?")
    expect(dialog).to_contain_text("This looks like a phone number.")
    visitor.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    box.fill("")
    visitor.locator("#ask-text").fill("Miten kerron lapselle erosta?")
    visitor.locator("#ask-text").press("Enter")
    expect(facilitator.locator("#question-list > li")).to_have_count(1)

    # The facilitator bans the visitor from the whole series.
    member = facilitator.locator("#member-list > li.member").filter(has_text="Ulpukka")
    expect(member).to_have_count(1)
    actions = member.locator("details.member-actions")
    actions.locator("summary").click()
    actions.locator('button[data-act="ban"]').click()
    expect(member).to_have_count(0)
    expect(status(visitor)).to_contain_text(re.compile("removed|banned", re.IGNORECASE))
    reloaded = visitor.reload()
    assert reloaded is not None and reloaded.status == 403
    drop_in(visitor, series_id, "Uusi nimi")
    expect(visitor.locator("section.live-now [role=alert]")).to_contain_text(
        "You cannot join this group's live sessions from this browser."
    )
    # The quick exit lets the device go, but not the browser's ban.
    visitor.context.clear_cookies(name="tupa_me")
    drop_in(visitor, series_id, "Kolmas nimi")
    expect(visitor.locator("section.live-now [role=alert]")).to_be_visible()

    # Another visitor still joins.
    other = new_context(lang="en").new_page()
    drop_in(other, series_id, "Lumme")
    expect(other).to_have_url(re.compile(rf"/me/sessions/{session_id}/room$"))
    expect(other.locator("#room-grid")).to_be_visible()
    expect(facilitator.locator("#member-list > li.member").filter(has_text="Lumme")).to_have_count(
        1
    )

    # The live ends: feedback is offered, and taken once.
    facilitator.locator("#room-end").click()
    expect(other.locator("#room-status")).to_have_attribute("data-tone", "final")
    expect(other.locator("#room-feedback")).to_be_visible()
    other.locator("#room-feedback").click()
    expect(other).to_have_url(re.compile(rf"/me/feedback/{session_id}$"))
    form = other.locator(f'form[action$="/feedback/{session_id}"]')
    form.locator('input[type="radio"][name="q1"][value="5"]').check()
    form.locator('input[type="radio"][name="q2"][value="4"]').check()
    form.locator('button[type="submit"]').click()
    expect(other).to_have_url(re.compile(rf"/series/{series_id}\?answered=feedback$"))
    expect(other.locator('p.notice[role="status"]')).to_contain_text("Thank you")
    expect(other.locator("section.live-now")).to_have_count(0)  # the live has ended
    again = other.goto(f"/me/feedback/{session_id}")
    assert again is not None and again.status == 409

    # Attendance counts both drop-in viewers, apart from the enrolled participants.
    coordinator.goto(f"/staff/series/{series_id}/attendance")
    viewers = coordinator.locator("tr.drop-in-viewers")
    expect(viewers).to_contain_text("Drop-in viewers")
    expect(viewers).to_contain_text("2")
