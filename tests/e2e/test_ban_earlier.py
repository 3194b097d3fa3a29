"""End to end, in a real browser: a parent removed from the session can still be banned.

Once removed, a parent is gone from the member list; the facilitator finds them under "Earlier
in this session" and bans them from there, and the series' moderation log shows the ban.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.e2e.playwright_api import BrowserContext, expect
from tests.e2e.room import (
    enrol_and_join,
    move_next_session_to_soon,
    open_room_without_lobby,
    status,
)
from tests.e2e.staff import COORDINATOR_EMAIL, FACILITATOR_EMAIL, log_in

pytestmark = pytest.mark.e2e

NewContext = Callable[..., BrowserContext]

SERIES_TITLE = "Tukea eron jälkeiseen vanhemmuuteen"  # program data, not a translation
KATAJA = "Kataja"


def test_a_removed_parent_is_banned_from_the_earlier_in_this_session_list(
    new_context: NewContext,
) -> None:
    coordinator = new_context(lang="en").new_page()
    log_in(coordinator, COORDINATOR_EMAIL)
    series_id, session_id = move_next_session_to_soon(coordinator, SERIES_TITLE)

    kataja = new_context(lang="en").new_page()
    enrol_and_join(kataja, series_id, session_id, KATAJA)
    facilitator = new_context(lang="en").new_page()
    log_in(facilitator, FACILITATOR_EMAIL)
    open_room_without_lobby(facilitator, session_id)
    expect(kataja.locator("#chat-form")).to_be_visible()

    in_room = facilitator.locator("#member-list > li.member").filter(has_text=KATAJA)
    earlier = facilitator.locator("#earlier-list > li")
    expect(in_room).to_have_count(1)
    expect(earlier).to_have_count(0)
    expect(facilitator.locator("#earlier-empty")).to_be_attached()

    # Removed: gone from the member list, and listed under "Earlier in this session".
    actions = in_room.locator("details.member-actions")
    actions.locator("summary").click()
    actions.locator('button[data-act="remove"]').click()
    expect(status(kataja)).to_contain_text("removed you")
    expect(in_room).to_have_count(0)
    facilitator.locator("#earlier-title").click()
    expect(facilitator.locator("#earlier")).to_have_attribute("open", "")
    expect(earlier).to_have_count(1)
    expect(earlier.locator("bdi.member-name")).to_have_text(KATAJA)
    expect(facilitator.locator("#earlier-list")).to_have_accessible_name(
        re.compile(r"Earlier in this session")
    )

    # Banned from there (the same confirmation as the member list's): gone for good.
    ban = earlier.locator('button[data-act="ban"]')
    expect(ban).to_have_accessible_name(re.compile(rf"{KATAJA}"))
    ban.focus()
    facilitator.keyboard.press("Enter")
    expect(earlier).to_have_count(0)
    expect(facilitator.locator("#chat-log > li.note").last).to_contain_text(
        f"{KATAJA} was removed from the group"
    )

    coordinator.goto(f"/staff/series/{series_id}/moderation")
    banned = coordinator.locator('tr[data-action="banned"]').filter(has_text=KATAJA)
    expect(banned).to_have_count(1)

    # The demo series is shared with the live-room test, which takes the next session that can
    # be moved: this one, whose room is open, is cancelled (which also ends its room).
    coordinator.goto(f"/staff/series/{series_id}")
    session = coordinator.locator(f'ol.staff-sessions > li[data-session-id="{session_id}"]')
    session.locator("details > summary").click()
    session.locator(f'form[action$="/sessions/{session_id}/cancel"] button').click()
    expect(coordinator).to_have_url(re.compile(rf"/staff/series/{series_id}\?done="))
