"""End to end, in a real browser, from a fresh `tupa serve --demo`: a visitor follows "Try it".

They join the live chat group as a parent in one click, wait in the lobby until the simulated
facilitator admits them, write and get a reply; then, in a second window, they run the same room
as the facilitator and see their parent self in it. The server is a fresh one of this module's
own (its admission delay shortened), not the shared one: the path starts from an empty demo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.playwright_api import Browser, expect
from tests.e2e.room import chat_texts, say
from tests.e2e.servers import browser_contexts, tupa_server

pytestmark = pytest.mark.e2e

YOU_TAKE_PART = re.compile(r"You take part as (.+)\.")


@pytest.fixture(scope="module")
def fresh_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("tupa-try-it")
    with tupa_server(home, TUPA_DEMO_ADMIT_SECONDS="0.5") as url:
        yield url


def test_a_visitor_joins_the_live_chat_as_a_parent_and_then_runs_it_as_the_facilitator(
    browser: Browser, fresh_demo: str
) -> None:
    with browser_contexts(browser, fresh_demo, default_lang="en") as open_context:
        parent = open_context().new_page()
        parent.goto("/")
        expect(parent.locator("#demo-banner")).to_be_visible()
        parent.locator('li.try-it-room[data-mode="chat"] button[data-try="parent"]').click()
        expect(parent).to_have_url(re.compile(r"/me$"))  # no personal link in the address bar
        shown = parent.get_by_text(YOU_TAKE_PART).inner_text()
        match = YOU_TAKE_PART.search(shown)
        assert match
        pseudonym = match.group(1)

        parent.locator('a[href^="/me/sessions/"][href$="/room"]').first.click()
        expect(parent).to_have_url(re.compile(r"/me/sessions/\d+/room$"))
        expect(chat_texts(parent).first).to_be_visible()  # admitted: the history is shown
        say(parent, "Hei kaikille, olen uusi täällä.")
        reply = chat_texts(parent).filter(has_text=f"Welcome, {pseudonym}!")
        expect(reply).to_have_count(1)

        staff = open_context()
        home = staff.new_page()
        home.goto("/")
        with staff.expect_page() as opened:
            home.locator('li.try-it-room[data-mode="chat"] button[data-try="facilitator"]').click()
        facilitator = opened.value
        expect(facilitator).to_have_url(re.compile(r"/staff/sessions/\d+/room$"))
        member = facilitator.locator("#member-list .member-name", has_text=pseudonym)
        expect(member).to_be_visible()
